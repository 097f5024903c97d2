/**
 * Truncation, comparison and bit decomposition for the shamir suite, after
 * Catrina and Saxena, "Secure Computation with Fixed-Point Numbers", FC 2010
 * (TruncPr, section 3) and Catrina and de Hoogh, "Improved Primitives for
 * Secure Multiparty Integer Computation", SCN 2010 (Mod2m, BitLT, LTZ, EQZ,
 * BitDec, section 3).
 *
 * Assumes what the suite assumes: semi-honest, t < n/2. Every protocol masks
 * an integer a in [0, 2^(b+1)) by r = 2^m r'' + r', where r' = sum_j 2^j r_j
 * comes from m shared random bits and r'' is a replicated random integer
 * (./prss.ts) of l bits in the one term the adversary lacks, and opens
 * c = a + r. With m + l = b + 40, c is within 2^-40 of uniform (statistical
 * security 40), and the suite's compareCapacity keeps c below p, so c is the
 * integer a + r and c mod 2^m = (a + r') mod 2^m.
 *
 * Bounds follow the program API: every element x satisfies
 * -2^(b-1) <= x < 2^(b-1).
 *
 * Random bits: each of the parties 0..t inputs a private random bit and the
 * bits are XORed (x + y - 2xy); any t parties miss at least one of them.
 * This replaces the square-root method (a / sqrt(a^2)), whose public
 * exponentiation per bit (125 squarings) costs more than one multiplication.
 */
import * as F from '../../arith/field127.js';
import type { ShamirSuite } from './shamir.js';

/** Statistical security parameter of masked openings (bits). */
export const STAT_SEC = 40;

const pow2 = (k: number): bigint => 1n << BigInt(k);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** n shared random bits (0/1), uniform and unknown to any t parties. */
export async function randomBitsField(s: ShamirSuite, n: number): Promise<F.FieldVec> {
  if (n === 0) return F.alloc(0);
  const contributors = range(s.t + 1);
  let level = await Promise.all(
    contributors.map((k) =>
      s.inputField(k, k === s.me ? privateBits(s, n) : undefined, n, 'shamir.randomBits'),
    ),
  );
  // XOR tree: x ^ y = x + y - 2xy, one round per level.
  while (level.length > 1) {
    const half = level.length >> 1;
    const xs = F.concat(range(half).map((k) => level[2 * k]!));
    const ys = F.concat(range(half).map((k) => level[2 * k + 1]!));
    const xy = await s.mulField(xs, ys, 'shamir.randomBits');
    const x = F.sub(F.add(xs, ys), F.mulScalar(xy, 2n));
    const next = range(half).map((k) => F.slice(x, k * n, (k + 1) * n));
    if (level.length & 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** n private random bits of this party, as field elements. */
function privateBits(s: ShamirSuite, n: number): F.FieldVec {
  const bytes = s.party.prg.bytes(n);
  const out = F.alloc(n);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) u[4 * i] = bytes[i]! & 1;
  return out;
}

interface Masked {
  /** Elements per bit position. */
  readonly n: number;
  /** Bit positions. */
  readonly m: number;
  /** The public low m bits of c, as field elements. */
  readonly cLow: F.FieldVec;
  /** Bit j of element i of c at j * n + i. */
  readonly cBits: Uint8Array;
  /** The shared random bits, bit j of element i at j * n + i. */
  readonly r: F.FieldVec;
  /** r' = sum_j 2^j r_j. */
  readonly rLow: F.FieldVec;
}

/** Opens c = a + 2^m r'' + r' (Catrina-de Hoogh, Mod2m steps 1-3). */
async function maskedOpen(
  s: ShamirSuite,
  a: F.FieldVec,
  m: number,
  l: number,
  op: string,
): Promise<Masked> {
  const n = F.length(a);
  const r = await randomBitsField(s, m * n);
  const rLow =
    m === 0
      ? F.alloc(n)
      : F.linearCombination(
          range(m).map((j) => F.slice(r, j * n, (j + 1) * n)),
          range(m).map((j) => pow2(j)),
        );
  // Drawn right before the open's exchange (see ./prss.ts on draw order).
  const rHigh = s.prss.randomInt(n, l);
  const c = await s.openAll(F.add(F.add(a, rLow), F.mulScalar(rHigh, pow2(m))), op);
  const cLow = F.keepLowBits(c.slice(), m);
  const cBits = new Uint8Array(m * n);
  const u = new Uint32Array(c.buffer, c.byteOffset, 4 * n);
  for (let j = 0; j < m; j++) {
    const w = j >>> 5;
    const sh = j & 31;
    for (let i = 0; i < n; i++) cBits[j * n + i] = (u[4 * i + w]! >>> sh) & 1;
  }
  return { n, m, cLow, cBits, r, rLow };
}

/**
 * Per bit position j (Catrina-de Hoogh BitLT): e_j = [c_j == r_j] and
 * g_j = [c_j < r_j] = (1 - c_j) r_j, both linear in r_j since c is public.
 */
function equalAndLess(mk: Masked): { e: F.FieldVec; g: F.FieldVec } {
  const notR = F.addScalar(F.neg(mk.r), 1n);
  const e = F.alloc(mk.cBits.length);
  const g = F.alloc(mk.cBits.length);
  const ue = new Uint32Array(e.buffer);
  const ug = new Uint32Array(g.buffer);
  const ur = new Uint32Array(mk.r.buffer, mk.r.byteOffset, 2 * mk.r.length);
  const un = new Uint32Array(notR.buffer);
  for (let i = 0; i < mk.cBits.length; i++) {
    const k = 4 * i;
    if (mk.cBits[i]) {
      ue[k] = ur[k]!;
      ue[k + 1] = ur[k + 1]!;
      ue[k + 2] = ur[k + 2]!;
      ue[k + 3] = ur[k + 3]!;
    } else {
      ue[k] = un[k]!;
      ue[k + 1] = un[k + 1]!;
      ue[k + 2] = un[k + 2]!;
      ue[k + 3] = un[k + 3]!;
      ug[k] = ur[k]!;
      ug[k + 1] = ur[k + 1]!;
      ug[k + 2] = ur[k + 2]!;
      ug[k + 3] = ur[k + 3]!;
    }
  }
  return { e, g };
}

interface Node {
  /** Undefined where no later step needs it. */
  readonly e: F.FieldVec | undefined;
  readonly g: F.FieldVec;
}

/**
 * [c < r] over m bit positions by a binary tree of the operator
 * (e, g)_hi o (e, g)_lo = (e_hi e_lo, g_hi + e_hi g_lo): the most significant
 * differing bit decides. ceil(log2 m) rounds, about 2m multiplications.
 */
async function bitLessThan(s: ShamirSuite, mk: Masked): Promise<F.FieldVec> {
  const { n, m } = mk;
  const { e, g } = equalAndLess(mk);
  let nodes: Node[] = range(m).map((j) => ({
    // The lowest node is only ever the low operand: its e is never used.
    e: j === 0 ? undefined : F.slice(e, j * n, (j + 1) * n),
    g: F.slice(g, j * n, (j + 1) * n),
  }));
  while (nodes.length > 1) {
    const pairs = nodes.length >> 1;
    const left: F.FieldVec[] = [];
    const right: F.FieldVec[] = [];
    for (let k = 0; k < pairs; k++) {
      const lo = nodes[2 * k]!;
      const hi = nodes[2 * k + 1]!;
      left.push(hi.e!);
      right.push(lo.g);
      if (lo.e) {
        left.push(hi.e!);
        right.push(lo.e);
      }
    }
    const prod = await s.mulField(F.concat(left), F.concat(right), 'shamir.bitLT');
    const next: Node[] = [];
    let at = 0;
    const take = () => F.slice(prod, n * at, n * ++at);
    for (let k = 0; k < pairs; k++) {
      const lo = nodes[2 * k]!;
      const hi = nodes[2 * k + 1]!;
      const eg = take();
      const ee = lo.e ? take() : undefined;
      next.push({ e: ee, g: F.add(hi.g, eg) });
    }
    if (nodes.length & 1) next.push(nodes[nodes.length - 1]!);
    nodes = next;
  }
  return nodes[0]!.g;
}

/**
 * All prefixes [c mod 2^(j+1) < r mod 2^(j+1)] for j < m, by Sklansky's
 * parallel prefix over the same operator: ceil(log2 m) rounds, about
 * m log2 m multiplications. Result: prefix j at j * n + i.
 */
async function bitLessThanPrefixes(s: ShamirSuite, mk: Masked): Promise<F.FieldVec> {
  const { n, m } = mk;
  const { e, g } = equalAndLess(mk);
  const E = range(m).map((j) => F.slice(e, j * n, (j + 1) * n));
  const G = range(m).map((j) => F.slice(g, j * n, (j + 1) * n));
  for (let half = 1; half < m; half <<= 1) {
    const last = half << 1 >= m;
    const targets: number[] = [];
    const left: F.FieldVec[] = [];
    const right: F.FieldVec[] = [];
    for (let j = 0; j < m; j++) {
      if ((j & half) === 0) continue;
      const low = (j & ~(2 * half - 1)) + half - 1;
      targets.push(j);
      left.push(E[j]!);
      right.push(G[low]!);
      if (!last) {
        left.push(E[j]!);
        right.push(E[low]!);
      }
    }
    const prod = await s.mulField(F.concat(left), F.concat(right), 'shamir.bitLT');
    let at = 0;
    for (const j of targets) {
      G[j] = F.add(G[j]!, F.slice(prod, n * at, n * ++at));
      if (!last) E[j] = F.slice(prod, n * at, n * ++at);
    }
  }
  return F.concat(G);
}

/**
 * Probabilistic truncation (Catrina-Saxena TruncPr): with a = x + 2^(b-1)
 * and c' = c mod 2^m = (x + r') mod 2^m, (x - c' + r') / 2^m is
 * floor(x / 2^m) or that plus 1, the latter with probability (x mod 2^m) / 2^m.
 */
export async function shamirTrunc(
  s: ShamirSuite,
  x: F.FieldVec,
  m: number,
  bound: number,
): Promise<F.FieldVec> {
  if (m === 0) return x.slice();
  // A shift past the bound leaves 0 or -1; widen the bound so the offset stays a multiple of 2^m.
  const b = Math.max(bound, m + 1);
  if (b > s.compareCapacity) {
    throw new RangeError(
      `shamir.trunc: a shift of ${m} bits needs ${b}-bit values, beyond the ${s.compareCapacity}-bit limit`,
    );
  }
  const a = F.addScalar(x, pow2(b - 1));
  const mk = await maskedOpen(s, a, m, b + STAT_SEC - m, 'shamir.trunc');
  return F.mulScalar(F.add(F.sub(x, mk.cLow), mk.rLow), F.inv(pow2(m)));
}

/**
 * [x < 0] (Catrina-de Hoogh LTZ): with m = b - 1 and a = x + 2^m in [0, 2^b),
 * Mod2m gives a mod 2^m = c' - r' + 2^m [c' < r'], and
 * [x < 0] = 1 - floor(a / 2^m) = 1 - (a - c' + r') / 2^m + [c' < r'].
 */
export async function shamirLtz(s: ShamirSuite, x: F.FieldVec, b: number): Promise<F.FieldVec> {
  const m = b - 1;
  if (m === 0) return F.neg(x); // x in {-1, 0}
  const a = F.addScalar(x, pow2(m));
  const mk = await maskedOpen(s, a, m, b + STAT_SEC - m, 'shamir.ltz');
  const u = await bitLessThan(s, mk);
  const floorA = F.sub(F.mulScalar(F.add(F.sub(a, mk.cLow), mk.rLow), F.inv(pow2(m))), u);
  return F.addScalar(F.neg(floorA), 1n);
}

/**
 * [x == 0] (Catrina-de Hoogh EQZ): with m = b and a = x + 2^b, x = 0 exactly
 * when (a + r') mod 2^b = r', i.e. when every bit of c' equals the bit of r:
 * the AND of e_j = [c_j == r_j] over a tree, ceil(log2 b) rounds.
 */
export async function shamirEqz(s: ShamirSuite, x: F.FieldVec, b: number): Promise<F.FieldVec> {
  const a = F.addScalar(x, pow2(b));
  const mk = await maskedOpen(s, a, b, STAT_SEC, 'shamir.eqz');
  const { n } = mk;
  const { e } = equalAndLess(mk);
  let nodes = range(b).map((j) => F.slice(e, j * n, (j + 1) * n));
  while (nodes.length > 1) {
    const half = nodes.length >> 1;
    const prod = await s.mulField(
      F.concat(range(half).map((k) => nodes[2 * k]!)),
      F.concat(range(half).map((k) => nodes[2 * k + 1]!)),
      'shamir.eqz',
    );
    const next = range(half).map((k) => F.slice(prod, k * n, (k + 1) * n));
    if (nodes.length & 1) next.push(nodes[nodes.length - 1]!);
    nodes = next;
  }
  return nodes[0]!.slice();
}

/**
 * Two's-complement bits of x in k bits (Catrina-de Hoogh BitDec): with
 * a = x + 2^k and c' = (x + r') mod 2^k, y = x mod 2^k = c' - r' + 2^k u.
 * With borrow_j = [c' mod 2^j < r' mod 2^j] (the prefixes of BitLT), bit j
 * of y is c_j - r_j + 2 borrow_(j+1) - borrow_j: linear once the borrows are
 * known. Output: bit j of element i at i * k + j.
 */
export async function shamirBits(s: ShamirSuite, x: F.FieldVec, k: number): Promise<F.FieldVec> {
  const a = F.addScalar(x, pow2(k));
  const mk = await maskedOpen(s, a, k, STAT_SEC, 'shamir.bits');
  const { n } = mk;
  const borrow = await bitLessThanPrefixes(s, mk); // borrow_(j+1) at j * n + i
  const cBitsField = F.alloc(k * n);
  const uc = new Uint32Array(cBitsField.buffer);
  for (let i = 0; i < mk.cBits.length; i++) uc[4 * i] = mk.cBits[i]!;
  // y_j = c_j - r_j + 2 borrow_(j+1) - borrow_j, with borrow_0 = 0.
  const borrowBelow = F.concat([F.alloc(n), F.slice(borrow, 0, (k - 1) * n)]);
  const y = F.linearCombination([cBitsField, mk.r, borrow, borrowBelow], [1n, -1n, 2n, -1n]);
  // Transpose from bit-major to element-major.
  const idx = new Uint32Array(k * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) idx[i * k + j] = j * n + i;
  return F.gather(y, idx);
}
