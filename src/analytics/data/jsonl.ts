/**
 * A strict reader for one JSON-lines record: a flat JSON object (RFC 8259)
 * whose values are strings, numbers, booleans or null. Unlike JSON.parse it
 * refuses duplicate keys (JSON.parse keeps the last silently), keeps each
 * number's text as written (so 36.60 and 1e2 can be judged against a column's
 * scale rather than after binary rounding), and reports the character where a
 * problem is without quoting the text.
 */

export type JsonScalar =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

export interface JsonEntry {
  readonly key: string;
  readonly value: JsonScalar;
  /** 1-based character position of the value in the line. */
  readonly at: number;
}

export type RecordResult =
  | { readonly ok: true; readonly entries: readonly JsonEntry[] }
  | { readonly ok: false; readonly reason: string; readonly at: number };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Fail {
  constructor(
    readonly reason: string,
    readonly at: number,
  ) {}
}

/** Reads one line as a flat JSON object. */
export function readJsonRecord(line: string): RecordResult {
  let i = 0;
  const ws = () => {
    while (i < line.length && ' \t\r\n'.includes(line[i]!)) i++;
  };
  const fail = (reason: string, at = i): never => {
    throw new Fail(reason, at + 1);
  };
  const string = (): string => {
    const start = i;
    i++; // the opening quote
    for (;;) {
      if (i >= line.length) fail('a string is not closed', start);
      const c = line.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) fail('a control character inside a string (escape it)');
      i += c === 92 ? 2 : 1;
    }
    i++;
    try {
      return JSON.parse(line.slice(start, i)) as string;
    } catch {
      return fail('an invalid escape in a string', start);
    }
  };
  const value = (): JsonScalar => {
    const c = line[i];
    if (c === '"') return { kind: 'string', value: string() };
    if (c === '{' || c === '[') return fail('nested objects and lists are not table values');
    for (const [word, v] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (line.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(line);
    if (!m) return fail('expected a value (string, number, true, false or null)');
    i += m[0].length;
    return { kind: 'number', text: m[0] };
  };
  try {
    ws();
    if (line[i] !== '{') fail('expected a JSON object');
    i++;
    ws();
    const entries: JsonEntry[] = [];
    const keys = new Set<string>();
    if (line[i] === '}') i++;
    else {
      for (;;) {
        if (line[i] !== '"') fail('expected a key in double quotes');
        const keyAt = i;
        const key = string();
        if (keys.has(key)) fail(`key '${key}' appears twice`, keyAt);
        keys.add(key);
        ws();
        if (line[i] !== ':') fail("expected ':' after a key");
        i++;
        ws();
        const at = i + 1;
        entries.push({ key, value: value(), at });
        ws();
        if (line[i] === ',') {
          i++;
          ws();
          continue;
        }
        if (line[i] === '}') {
          i++;
          break;
        }
        fail("expected ',' or '}'");
      }
    }
    ws();
    if (i < line.length) fail('text after the end of the object');
    return { ok: true, entries };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: e.reason, at: e.at };
    throw e;
  }
}
