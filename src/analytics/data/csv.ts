/**
 * A strict CSV reader after RFC 4180: records end with CRLF or LF; fields are
 * separated by commas; a field that contains a comma, a quote or a line break
 * is enclosed in double quotes, and a quote inside it is written twice. The
 * last record may end without a line break. A UTF-8 byte-order mark at the
 * start is skipped.
 *
 * Anything else is an error with its line and field position, never a guess:
 * a quote inside an unquoted field, text after a closing quote, a quoted field
 * that never closes, a carriage return without a line feed. Field text is
 * returned exactly as written (no trimming).
 */
import type { DataIssue } from './errors.js';

/** One record: its fields' text and the line each field starts on. */
export interface CsvRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
  /** 1-based line of each field (fields may span lines when quoted). */
  readonly fieldLines: readonly number[];
}

/**
 * Calls `onRecord` for each record of `text`, in order. A syntax error is
 * passed to `onError` (with the line and 1-based field position) and stops the
 * reading: what follows a broken quote cannot be read reliably.
 * @returns the number of records read.
 */
export function readCsv(
  text: string,
  file: string,
  onRecord: (r: CsvRecord) => void,
  onError: (i: DataIssue) => void,
): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let count = 0;
  const QUOTE = 34;
  const COMMA = 44;
  const CR = 13;
  const LF = 10;
  if (i >= n) return 0;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    const fieldLines: number[] = [];
    // One record: fields until a line break or the end of the text.
    for (;;) {
      const fieldLine = line;
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        i++;
        let parts = '';
        let start = i;
        for (;;) {
          if (i >= n) {
            onError({
              file,
              line: fieldLine,
              columnIndex: fields.length + 1,
              reason: 'a quoted field is not closed before the end of the file',
            });
            return count;
          }
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              parts += text.slice(start, i + 1);
              i += 2;
              start = i;
              continue;
            }
            parts += text.slice(start, i);
            i++;
            break;
          }
          if (c === LF) line++;
          i++;
        }
        value = parts;
        const c = i < n ? text.charCodeAt(i) : -1;
        if (c !== COMMA && c !== LF && c !== CR && c !== -1) {
          onError({
            file,
            line,
            columnIndex: fields.length + 1,
            reason:
              'text after the closing quote of a quoted field (a quote inside a field is written "")',
          });
          return count;
        }
      } else {
        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            onError({
              file,
              line,
              columnIndex: fields.length + 1,
              reason:
                'a quote inside an unquoted field (quote the whole field and write the quote as "")',
            });
            return count;
          }
          i++;
        }
        value = text.slice(start, i);
      }
      fields.push(value);
      fieldLines.push(fieldLine);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CR) {
        if (text.charCodeAt(i + 1) !== LF) {
          onError({
            file,
            line,
            columnIndex: fields.length,
            reason: 'a carriage return without a line feed (lines must end with CRLF or LF)',
          });
          return count;
        }
        i++;
      }
      // c is LF here.
      i++;
      line++;
      break;
    }
    onRecord({ line: recordLine, fields, fieldLines });
    count++;
  }
  return count;
}
