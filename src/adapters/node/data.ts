/**
 * Node adapter of the analytics layer: reads study and data files and hands
 * their text to the core parsers (src/analytics). Text must be UTF-8; a file
 * that is not is refused, never decoded with replacement characters.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DataError, SpecError } from '../../analytics/data/errors.js';
import type { Schema } from '../../analytics/data/schema.js';
import { parseTable, type DataFormat, type Table } from '../../analytics/data/table.js';
import { parseStudyText } from '../../analytics/study/parse.js';
import type { Study, ValidateOptions } from '../../analytics/study/spec.js';

/** A file's text, strictly UTF-8. @throws {Error} naming the file when it cannot be read or decoded. */
export async function readText(file: string, kind: 'data' | 'study'): Promise<string> {
  return decodeText(await readBytes(file, kind), file, kind);
}

async function readBytes(file: string, kind: 'data' | 'study'): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    if (kind === 'data')
      throw new DataError([{ file, line: 1, reason: `cannot read the file (${why})` }]);
    throw new SpecError(file, [{ path: '(file)', message: `cannot read the file (${why})` }]);
  }
}

function decodeText(bytes: Uint8Array, file: string, kind: 'data' | 'study'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the line of the first invalid byte without decoding the rest.
    let line = 1;
    const dec = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 10) {
        try {
          dec.decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    const reason = 'not valid UTF-8 text (save the file as UTF-8)';
    if (kind === 'data') throw new DataError([{ file, line, reason }]);
    throw new SpecError(file, [{ path: '(file)', message: reason, line, col: 1 }]);
  }
}

/**
 * Loads one party's table. With `sha256` (hex), the bytes read must have that
 * hash: what is computed on is exactly the version someone approved, even if
 * the file changes after it was checked.
 * @throws {DataError} naming file, line, column and reason.
 */
export async function loadTable(
  file: string,
  schema: Schema,
  format?: DataFormat,
  sha256?: string,
): Promise<Table> {
  const bytes = await readBytes(file, 'data');
  if (sha256 !== undefined) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256)
      throw new DataError([
        {
          file,
          line: 1,
          reason: `the file changed (SHA-256 ${got.slice(0, 12)}..., expected ${sha256.slice(0, 12)}...)`,
        },
      ]);
  }
  return parseTable(decodeText(bytes, file, 'data'), schema, file, format);
}

/** A study file, validated, with its folder (data paths are relative to it). */
export interface LoadedStudy {
  readonly study: Study;
  readonly file: string;
  readonly dir: string;
}

/** Loads and validates a study file (YAML or JSON). @throws {SpecError} naming each bad field. */
export async function loadStudy(file: string, opts: ValidateOptions = {}): Promise<LoadedStudy> {
  const study = parseStudyText(await readText(file, 'study'), file, opts);
  return { study, file, dir: dirname(resolve(file)) };
}

/** The path of a party's dataset: its `data` field, relative to the study file. */
export function dataPath(loaded: LoadedStudy, party: string): string | undefined {
  const p = loaded.study.parties.find((x) => x.id === party);
  return p?.data === undefined ? undefined : resolve(loaded.dir, p.data);
}
