/**
 * Integer circuits on two's-complement bit vectors (least significant bit
 * first), built with a CircuitBuilder. Widths are public; an operand shorter
 * than the result is sign-extended (its top wire repeated, no gates).
 *
 * AND-gate costs (the only gates that cost anything to garble), for w-bit
 * results: add/sub w - 1, comparison w (a subtraction's sign), equality
 * w - 1, mux w, multiplication about 2 wx wy for the exact signed product of
 * wx- and wy-bit operands (an unsigned array multiplier and two corrections,
 * Baugh-Wooley style), w (w + 1) for a w-bit product of w-bit operands.
 */
import { CONST0, CONST1, type CircuitBuilder } from './circuit.js';

export type Bits = readonly number[];

/** x sign-extended (or truncated) to w bits. */
export function resize(x: Bits, w: number): number[] {
  if (x.length === 0) return new Array<number>(w).fill(CONST0);
  const top = x[x.length - 1]!;
  return Array.from({ length: w }, (_, i) => (i < x.length ? x[i]! : top));
}

/** x zero-extended (or truncated) to w bits. */
export function zeroExtend(x: Bits, w: number): number[] {
  return Array.from({ length: w }, (_, i) => (i < x.length ? x[i]! : CONST0));
}

/** The constant v (two's complement) on w wires. */
export function constant(v: bigint, w: number): number[] {
  return Array.from({ length: w }, (_, i) => ((v >> BigInt(i)) & 1n ? CONST1 : CONST0));
}

/**
 * x + y + cin modulo 2^w (ripple carry, one AND per bit but the last):
 * s_i = x_i ^ y_i ^ c_i, c_{i+1} = c_i ^ ((x_i ^ c_i) & (y_i ^ c_i)).
 */
export function add(
  b: CircuitBuilder,
  x: Bits,
  y: Bits,
  w: number,
  cin: number = CONST0,
): number[] {
  const xs = resize(x, w);
  const ys = resize(y, w);
  const out: number[] = [];
  let c = cin;
  for (let i = 0; i < w; i++) {
    const xc = b.xor(xs[i]!, c);
    const yc = b.xor(ys[i]!, c);
    out.push(b.xor(xc, ys[i]!));
    if (i + 1 < w) c = b.xor(c, b.and(xc, yc));
  }
  return out;
}

/** x - y modulo 2^w = x + not(y) + 1. */
export function sub(b: CircuitBuilder, x: Bits, y: Bits, w: number): number[] {
  return add(
    b,
    x,
    resize(y, w).map((v) => b.not(v)),
    w,
    CONST1,
  );
}

export function neg(b: CircuitBuilder, x: Bits, w: number): number[] {
  return sub(b, [], x, w);
}

/** [x < y] for signed x, y: the sign of x - y computed one bit wider (exact). */
export function lessThan(b: CircuitBuilder, x: Bits, y: Bits): number {
  const w = Math.max(x.length, y.length) + 1;
  return sub(b, x, y, w)[w - 1]!;
}

/** [x == 0]: NOR of all bits, as a balanced tree of ORs. */
export function isZero(b: CircuitBuilder, x: Bits): number {
  let level = x.slice();
  if (level.length === 0) return CONST1;
  while (level.length > 1) {
    const next: number[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(b.or(level[i]!, level[i + 1]!));
    if (level.length & 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return b.not(level[0]!);
}

/** [x == y]. */
export function equal(b: CircuitBuilder, x: Bits, y: Bits): number {
  const w = Math.max(x.length, y.length);
  const xs = resize(x, w);
  const ys = resize(y, w);
  return isZero(
    b,
    xs.map((v, i) => b.xor(v, ys[i]!)),
  );
}

/** s ? x : y, bitwise, on w bits. */
export function mux(b: CircuitBuilder, s: number, x: Bits, y: Bits, w: number): number[] {
  const xs = resize(x, w);
  const ys = resize(y, w);
  return xs.map((v, i) => b.mux(s, v, ys[i]!));
}

/**
 * The signed product x y modulo 2^w. For w <= wx + wy the operands are read
 * as unsigned, multiplied by an array multiplier whose rows are added with
 * ripple-carry adders (about 2 wx wy ANDs), and corrected by subtracting
 * x_sign * uy << wx and y_sign * ux << wy (x = ux - x_sign 2^wx); terms at
 * or above 2^w are never built.
 */
export function mul(b: CircuitBuilder, x: Bits, y: Bits, wOut: number): number[] {
  // The exact product needs at most x.length + y.length bits: compute that
  // many (or fewer) and sign-extend.
  const w = Math.min(wOut, x.length + y.length);
  if (w < wOut) return resize(mul(b, x, y, w), wOut);
  const wx = Math.min(x.length, w);
  const wy = Math.min(y.length, w);
  if (wx === 0 || wy === 0) return constant(0n, w);
  const ux = x.slice(0, wx);
  const uy = y.slice(0, wy);
  // acc holds the unsigned product of ux and the rows so far (positions < w).
  let acc: number[] = constant(0n, w);
  for (let j = 0; j < wy && j < w; j++) {
    const row = ux.map((v) => b.and(v, uy[j]!));
    // Add row << j into acc: only positions j .. min(w, j + wx + 1) can change
    // before the carry dies, but the carry may run to the top.
    const hi = acc.slice(j);
    const sum = addUnsigned(b, hi, row, w - j, j === 0 ? wx : wx + 1);
    acc = acc.slice(0, j).concat(sum);
  }
  // Sign corrections (vanish when the operand is at least w bits wide).
  const xs = x.length <= w ? x[x.length - 1]! : CONST0;
  const ys = y.length <= w ? y[y.length - 1]! : CONST0;
  if (x.length <= w && wx < w && xs !== CONST0) {
    const corr = zeroExtend(
      uy.map((v) => b.and(v, xs)),
      w - wx,
    );
    acc = acc.slice(0, wx).concat(sub(b, acc.slice(wx), corr, w - wx));
  }
  if (y.length <= w && wy < w && ys !== CONST0) {
    const corr = zeroExtend(
      ux.map((v) => b.and(v, ys)),
      w - wy,
    );
    acc = acc.slice(0, wy).concat(sub(b, acc.slice(wy), corr, w - wy));
  }
  return acc;
}

/**
 * acc + row modulo 2^w for unsigned operands where acc is zero above bit
 * `live` (so the carry out of bit live - 1 is the last one that can be set).
 */
function addUnsigned(b: CircuitBuilder, acc: Bits, row: Bits, w: number, live: number): number[] {
  const out: number[] = [];
  let c: number = CONST0;
  for (let i = 0; i < w; i++) {
    const a = i < acc.length ? acc[i]! : CONST0;
    const r = i < row.length ? row[i]! : CONST0;
    if (i >= live && c === CONST0) {
      out.push(a);
      continue;
    }
    const ac = b.xor(a, c);
    const rc = b.xor(r, c);
    out.push(b.xor(ac, r));
    if (i + 1 < w) c = b.xor(c, b.and(ac, rc));
  }
  return out;
}
