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

export class FieldReader {
  readonly issues: FieldIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path: path === '' ? '(top level)' : path, message });
    return undefined;
  }

  /** An object whose keys are all in `known` (an unknown key is usually a typo). */
  object(v: Json, path: string, known: readonly string[]): Record<string, Json> | undefined {
    if (!isObject(v)) return this.fail(path, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!known.includes(k))
        this.fail(join(path, k), `unknown field (known: ${known.join(', ')})`);
    }
    return v;
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

  oneOf<T extends string>(v: Json, path: string, options: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v))
      return this.fail(path, `expected one of ${options.join(', ')}, got ${describe(v)}`);
    return v as T;
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
    if (!Array.isArray(v) || v.length < min || v.length > max)
      return this.fail(path, `expected a list of ${min}..${max} items, got ${describe(v)}`);
    return v as Json[];
  }
}
