/**
 * Reading typed fields out of parsed JSON or YAML while collecting every
 * problem, each named by its path (`analyses[2].column`). Used by the schema
 * and study validators; the values read here come from specifications, which
 * are public, so messages may quote them (data values never pass through here).
 */
import type { FieldIssue } from './errors.js';

export type Json = unknown;

export const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short description of a specification value for messages. */
export function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Joins a path and a key: `join('a', 'b')` is `a.b`, `join('', 'b')` is `b`. */
export const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Edit distance with adjacent transpositions (optimal string alignment), for
 * "did you mean" hints: `tpye` is one edit from `type`, as typos usually are.
 */
export function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1];
      let d = Math.min(
        rows[i - 1]![j]! + 1,
        rows[i]![j - 1]! + 1,
        rows[i - 1]![j - 1]! + (same ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  return rows[a.length]![b.length]!;
}

/**
 * The option a misspelt `name` most likely meant: the nearest by edit
 * distance (ignoring case), if it is near enough (a third of the name's
 * length, at least 1) to be a typo rather than another word, and nearer than
 * every other option (`hospital-d` could be `hospital-a` or `hospital-b`: no guess).
 */
export function nearest(name: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let tied = false;
  for (const o of options) {
    const dd = distance(name.toLowerCase(), o.toLowerCase());
    if (dd < bestD) [best, bestD, tied] = [o, dd, false];
    else if (dd === bestD) tied = true;
  }
  return best !== undefined && !tied && bestD <= Math.max(1, Math.floor(name.length / 3))
    ? best
    : undefined;
}

/** 'an' before a word read with a vowel sound (an integer, an sd), else 'a'. */
export function article(word: string): string {
  return /^([aeiou]|sd\b|x\b)/i.test(word) ? 'an' : 'a';
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** `1 analysis`, `2 analyses`: a count with its noun in the right number. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Collects the problems of a specification, one per field: the first problem
 * found at a path is the one reported (a missing field is not also "expected
 * a string, got nothing"), and a field that a misspelt key most likely meant
 * is not also reported missing. A list of options (the columns, the analysis
 * types) is spelled out the first time only; later messages point back to it.
 */
export class FieldReader {
  readonly issues: FieldIssue[] = [];
  /** Paths already reported, or covered by a "did you mean" at a misspelt key. */
  private readonly done = new Set<string>();
  /** Each list already spelled out, by its label and items: where. */
  private readonly shown = new Map<string, string>();

  /** Reports a problem at `path`, unless one was already reported there. */
  fail(path: string, message: string | (() => string)): undefined {
    const p = path === '' ? '(top level)' : path;
    if (this.done.has(p)) return undefined;
    this.done.add(p);
    this.issues.push({ path: p, message: typeof message === 'string' ? message : message() });
    return undefined;
  }

  /** Whether a problem was already reported at `path` (or it is covered by a misspelling). */
  reported(path: string): boolean {
    return this.done.has(path === '' ? '(top level)' : path);
  }

  /**
   * `label: a, b, c` the first time this list is shown, `label: see PATH`
   * after (PATH: the field whose message spelled it out). Call it only from a
   * message that is reported (a lazy `fail` message).
   */
  listed(label: string, items: readonly string[], path: string): string {
    const key = `${label}\u0000${items.join('\u0000')}`;
    const first = this.shown.get(key);
    if (first !== undefined) return `${label}: see ${first}`;
    this.shown.set(key, path === '' ? '(top level)' : path);
    return `${label}: ${items.join(', ')}`;
  }

  /** `(did you mean 'x'?)` for a near option, else the options (once: see `listed`). */
  hint(name: string, options: readonly string[], label: string, path: string): string {
    const n = nearest(name, options);
    return n !== undefined ? `(did you mean '${n}'?)` : `(${this.listed(label, options, path)})`;
  }

  /**
   * An object. With `known`, each key not in it is reported (an unknown key is
   * usually a typo): see `knownKeys`. Without, the caller checks the keys once
   * it knows which are allowed (they may depend on a field, like `type`).
   */
  object(
    v: Json,
    path: string,
    known?: readonly string[],
    what = 'field',
  ): Record<string, Json> | undefined {
    if (!isObject(v)) return this.fail(path, `expected an object, got ${describe(v)}`);
    if (known) this.knownKeys(v, path, known, what);
    return v;
  }

  /**
   * Reports each key of `o` that is not in `known`, as `unknown <what>` with
   * the known key it most likely meant, among those not given, or else the
   * list of known keys. The meant key is then not also reported missing.
   */
  knownKeys(o: Record<string, Json>, path: string, known: readonly string[], what = 'field'): void {
    const absent = known.filter((k) => o[k] === undefined);
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      const meant = nearest(k, absent);
      const at = join(path, k);
      if (meant !== undefined) {
        this.fail(at, `unknown ${what} (did you mean '${meant}'?)`);
        this.done.add(join(path, meant));
      } else this.fail(at, () => `unknown ${what} (${this.listed('known fields', known, at)})`);
    }
  }

  /** A required field: reports its absence. */
  required(o: Record<string, Json>, key: string, path: string): Json {
    if (o[key] === undefined) this.fail(join(path, key), 'missing');
    return o[key];
  }

  string(v: Json, path: string, pattern?: RegExp, hint?: string): string | undefined {
    if (typeof v !== 'string' || v.length === 0 || v.length > 1024 || (pattern && !pattern.test(v)))
      return this.fail(path, `expected ${hint ?? 'a non-empty string'}, got ${describe(v)}`);
    return v;
  }

  /**
   * One of `options`. `what` names them for messages (`analysis type`): a
   * misspelling gets "did you mean", anything else the list (once).
   */
  oneOf<T extends string>(
    v: Json,
    path: string,
    options: readonly T[],
    what?: string,
  ): T | undefined {
    if (typeof v === 'string' && (options as readonly string[]).includes(v)) return v as T;
    const meant = typeof v === 'string' && v !== '' ? nearest(v, options) : undefined;
    const guess = meant === undefined ? '' : ` (did you mean '${meant}'?)`;
    // A short list of options (csv or jsonl) is simply named.
    if (what === undefined)
      return this.fail(path, `expected ${orList(options)}, got ${describe(v)}${guess}`);
    if (typeof v === 'string' && v !== '')
      return this.fail(
        path,
        () => `unknown ${what} '${v}'${guess || ` (${this.listed(`${what}s`, options, path)})`}`,
      );
    return this.fail(
      path,
      () =>
        `expected ${article(what)} ${what} (${this.listed(`${what}s`, options, path)}), got ${describe(v)}`,
    );
  }

  int(v: Json, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return this.fail(path, `expected an integer in ${min}..${max}, got ${describe(v)}`);
    return v;
  }

  number(
    v: Json,
    path: string,
    min: number,
    max: number,
    exclusiveMin = false,
  ): number | undefined {
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v > max ||
      (exclusiveMin ? v <= min : v < min)
    )
      return this.fail(
        path,
        `expected a number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${describe(v)}`,
      );
    return v;
  }

  boolean(v: Json, path: string): boolean | undefined {
    if (typeof v !== 'boolean')
      return this.fail(path, `expected true or false, got ${describe(v)}`);
    return v;
  }

  list(v: Json, path: string, min: number, max: number): Json[] | undefined {
    if (!Array.isArray(v) || v.length < min || v.length > max) {
      const want = min === max ? plural(min, 'item') : `${min}..${max} items`;
      const got = Array.isArray(v) ? plural(v.length, 'item') : describe(v);
      return this.fail(path, `expected a list of ${want}, got ${got}`);
    }
    return v as Json[];
  }
}
