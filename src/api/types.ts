/**
 * Secret types and their encodings as integers.
 *
 * - int(k): signed integers in [-2^(k-1), 2^(k-1)), 2 <= k <= 64.
 * - fixed({ bits: k, frac: f }): reals x encoded as round(x * 2^f), with
 *   |encoding| < 2^(k-1) (a symmetric range, so that products of two values
 *   stay within 2k - 1 bits). Default k = 32, f = 16: about +-32768 with a
 *   resolution of 2^-16.
 * - bool: 0 or 1.
 */
import { OverflowError } from '../runtime/errors.js';

export interface IntType {
  readonly kind: 'int';
  readonly bits: number;
}
export interface FixedType {
  readonly kind: 'fixed';
  readonly bits: number;
  readonly frac: number;
}
export interface BoolType {
  readonly kind: 'bool';
  readonly bits: 2;
}
export type SecretType = IntType | FixedType | BoolType;

/** Signed integers of `bits` bits (default 32). @throws {RangeError} outside 2..64. */
export function int(bits = 32): IntType {
  if (!Number.isInteger(bits) || bits < 2 || bits > 64) {
    throw new RangeError(`int: bit length must be an integer in 2..64, got ${bits}`);
  }
  return { kind: 'int', bits };
}

/**
 * Fixed-point numbers with `frac` fractional bits in `bits` bits in total.
 * @throws {RangeError} unless 1 <= frac < bits <= 64.
 */
export function fixed(opts: { bits?: number; frac?: number } = {}): FixedType {
  const bits = opts.bits ?? 32;
  const frac = opts.frac ?? 16;
  if (!Number.isInteger(bits) || bits < 2 || bits > 64) {
    throw new RangeError(`fixed: bit length must be an integer in 2..64, got ${bits}`);
  }
  if (!Number.isInteger(frac) || frac < 1 || frac >= bits) {
    throw new RangeError(
      `fixed: fractional bits must be an integer in 1..${bits - 1}, got ${frac}`,
    );
  }
  return { kind: 'fixed', bits, frac };
}

export const bool: BoolType = { kind: 'bool', bits: 2 };

export function typeName(t: SecretType): string {
  if (t.kind === 'int') return `int(${t.bits})`;
  if (t.kind === 'fixed') return `fixed(${t.bits}, frac ${t.frac})`;
  return 'bool';
}

export function sameType(a: SecretType, b: SecretType): boolean {
  return (
    a.kind === b.kind &&
    a.bits === b.bits &&
    (a.kind !== 'fixed' || a.frac === (b as FixedType).frac)
  );
}

export type PlainValue = number | bigint | boolean;

/**
 * Encodes public values of a type as integers.
 * @throws {TypeError} for a value of the wrong kind; {RangeError} out of range.
 */
export function encode(
  t: SecretType,
  values: ArrayLike<PlainValue>,
  what = 'value',
): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeOne(t, values[i]!, what, i);
  return out;
}

function encodeOne(t: SecretType, v: PlainValue, what: string, i: number): bigint {
  const where = `${what} ${i}`;
  if (t.kind === 'bool') {
    if (v === true || v === 1 || v === 1n) return 1n;
    if (v === false || v === 0 || v === 0n) return 0n;
    throw new TypeError(`${where}: expected a boolean for bool, got ${typeof v}`);
  }
  if (t.kind === 'int') {
    let x: bigint;
    if (typeof v === 'bigint') x = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) x = BigInt(v);
    else
      throw new TypeError(
        `${where}: expected a safe integer or bigint for ${typeName(t)}, got ${describe(v)}`,
      );
    const lim = 1n << BigInt(t.bits - 1);
    if (x < -lim || x >= lim) throw new RangeError(`${where}: out of range for ${typeName(t)}`);
    return x;
  }
  let x: bigint;
  if (typeof v === 'number' && Number.isFinite(v)) x = BigInt(Math.round(v * 2 ** t.frac));
  else if (typeof v === 'bigint') x = v << BigInt(t.frac);
  else
    throw new TypeError(
      `${where}: expected a finite number for ${typeName(t)}, got ${describe(v)}`,
    );
  const lim = 1n << BigInt(t.bits - 1);
  if (x <= -lim || x >= lim) throw new RangeError(`${where}: out of range for ${typeName(t)}`);
  return x;
}

function describe(v: PlainValue): string {
  if (typeof v === 'number') return Number.isFinite(v) ? 'a non-integer number' : String(v);
  return typeof v;
}

/** Largest |encoding| allowed (exclusive) for the symmetric fixed range, or the int range. */
export function checkRevealed(t: SecretType, xs: readonly bigint[], op: string): void {
  const lim = 1n << BigInt(t.bits - 1);
  let bad = 0;
  for (const x of xs) {
    if (
      t.kind === 'bool'
        ? x !== 0n && x !== 1n
        : t.kind === 'fixed'
          ? x <= -lim || x >= lim
          : x < -lim || x >= lim
    )
      bad++;
  }
  // The message counts offending values but never shows them.
  if (bad) throw new OverflowError(`${op}: ${bad} of ${xs.length} values overflow ${typeName(t)}`);
}

export function decodeInt(xs: readonly bigint[]): bigint[] {
  return xs.slice();
}
export function decodeFixed(t: FixedType, xs: readonly bigint[]): number[] {
  const s = 2 ** -t.frac;
  return xs.map((x) => Number(x) * s);
}
export function decodeBool(xs: readonly bigint[]): boolean[] {
  return xs.map((x) => x === 1n);
}
