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
 * Random bits (instead of the square-root method, whose public
 * exponentiation per bit, 125 squarings, costs more than a multiplication):
 * parties t..2t-1 each input a private random bit, the inputs are XORed
 * (x + y - 2xy), and the result is XORed with a bit beta drawn from the PRSS
 * key of the set A = {t..2t-1}, which every party outside A knows and no
 * party in A does. Any t parties miss one of these t + 1 bits. beta's sharing is
 * the public polynomial beta phi_A(X), so the last XOR needs no product of
 * two secret shares: only the degree reduction of y + beta phi_A (1 - 2y).
 *
 * Bit positions are stored by blocks of n elements, even positions first
 * (0, 2, 4, ...), then odd ones (1, 3, ...), so that the pairs (2k, 2k+1)
 * that the first level of every bit circuit combines are two contiguous runs.
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
  // Contributors t..2t-1: their inputs interpolate with integer coefficients (see ShamirSuite.input).
  const A = range(s.t).map((k) => s.t + k);
  let level = await Promise.all(
    A.map((k) =>
      s.inputField(k, k === s.me ? privateBits(s, n) : undefined, n, 'shamir.randomBits'),
    ),
  );
  while (level.length > 1) {
    const half = level.length >> 1;
    const xs = range(half).map((k) => level[2 * k]!);
    const ys = range(half).map((k) => level[2 * k + 1]!);
    const xy = await s.mulField(xs, ys, 'shamir.randomBits');
    // x ^ y = x + y - 2xy
    const x = F.linearCombination([F.concat(xs), F.concat(ys), xy], [1n, 1n, -2n]);
    const next = range(half).map((k) => F.slice(x, k * n, (k + 1) * n));
    if (level.length & 1) next.push(level[level.length - 1]!);
    level = next;
  }
  const y = level[0]!;
  // Drawn right before the exchange that uses it (see ./prss.ts on draw order).
  const beta = s.prss.setBits(A, n);
  // y ^ beta as a degree-2t sharing: y + beta phi (1 - 2y) = beta ? phi + (1 - 2 phi) y : y.
  const w = beta ? F.xorPublicBit(y, beta.bits, beta.phi) : y;
  return s.reshare(w, undefined, 'shamir.randomBits');
}

/**
 * Shares of n random integers R, each with a part unknown to any t parties
 * that is uniform in [0, 2^l): the r'' of the masks. Up to MASK_BY_PRSS_SETS
 * PRSS sets, R = sum_A r_A is drawn from the PRSS keys (no communication,
 * R < C(n,t) 2^l); beyond, t + 1 parties each input a random l-bit integer
 * (one input round, R < (t+1) 2^l), which is far cheaper than expanding
 * C(n-1,t) keys and keeps more headroom below p. Contributors: parties t..2t.
 */
export function randomMask(s: ShamirSuite, n: number, l: number): Promise<F.FieldVec> {
  if (!s.maskByInputs) return Promise.resolve(s.prss.randomInt(n, l));
  const parts = range(s.t + 1)
    .map((j) => s.t + j)
    .map((k) =>
      s.inputField(
        k,
        k === s.me ? F.keepLowBits(s.party.prg.words(2 * n), l) : undefined,
        n,
        'shamir.randomMask',
      ),
    );
  return Promise.all(parts).then((vs) => F.sumVectors(vs));
}

/** n private random bits of this party, as field elements. */
function privateBits(s: ShamirSuite, n: number): F.FieldVec {
  const bytes = s.party.prg.bytes(n);
  const out = F.alloc(n);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) u[4 * i] = bytes[i]! & 1;
  return out;
}

function u32(v: F.FieldVec): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
}

/** Bit position of each block: even positions first, then odd ones. */
function positions(m: number): number[] {
  return [...range(Math.ceil(m / 2)).map((k) => 2 * k), ...range(m >> 1).map((k) => 2 * k + 1)];
}

interface Masked {
  /** Elements per block. */
  readonly n: number;
  /** Bit positions. */
  readonly m: number;
  /** The public low m bits of c, as field elements. */
  readonly cLow: F.FieldVec;
  /** Bit positions(m)[b] of element i of c at b * n + i. */
  readonly cBits: Uint8Array;
  /** The shared random bits, in the same block layout. */
  readonly r: F.FieldVec;
  /** r' = sum_j 2^j r_j. */
  readonly rLow: F.FieldVec;
  /** r_(2k) r_(2k+1) for k < m/2, block k at k * n (when asked for). */
  readonly pairs: F.FieldVec | undefined;
}

/** sum_b 2^(pos[b]) v_b, in groups of 31 positions so that the small-coefficient kernel applies. */
function weightedBits(r: F.FieldVec, n: number, pos: readonly number[]): F.FieldVec {
  let acc: F.FieldVec | undefined;
  for (let g = 0; 31 * g < Math.max(0, ...pos) + 1; g++) {
    const blocks = pos.map((p, b) => [p, b] as const).filter(([p]) => Math.floor(p / 31) === g);
    if (blocks.length === 0) continue;
    const part = F.linearCombination(
      blocks.map(([, b]) => F.slice(r, b * n, (b + 1) * n)),
      blocks.map(([p]) => pow2(p - 31 * g)),
    );
    const scaled = g === 0 ? part : F.mulScalar(part, pow2(31 * g));
    acc = acc ? F.add(acc, scaled) : scaled;
  }
  return acc ?? F.alloc(n);
}

/**
 * Opens c = a + 2^m r'' + r' (Catrina-de Hoogh, Mod2m steps 1-3) with the
 * given random bits r (m blocks) and r'' = rHigh; with `pairs`, computes
 * r_(2k) r_(2k+1) in the same round (they do not depend on c).
 */
async function maskedOpen(
  s: ShamirSuite,
  a: F.FieldVec,
  r: F.FieldVec,
  rHigh: F.FieldVec,
  m: number,
  op: string,
  pairs: boolean,
): Promise<Masked> {
  const n = F.length(a);
  const pos = positions(m);
  const rLow = weightedBits(r, n, pos);
  const half = Math.ceil(m / 2);
  const np = m >> 1;
  const [c, pp] = await Promise.all([
    s.openAll(F.add(F.add(a, rLow), F.mulScalar(rHigh, pow2(m))), op),
    pairs && np > 0
      ? s.mulField(F.slice(r, 0, np * n), F.slice(r, half * n, (half + np) * n), op)
      : undefined,
  ]);
  const cLow = F.keepLowBits(c.slice(), m);
  const cBits = new Uint8Array(m * n);
  const u = u32(c);
  pos.forEach((j, b) => {
    const w = j >>> 5;
    const sh = j & 31;
    for (let i = 0; i < n; i++) cBits[b * n + i] = (u[4 * i + w]! >>> sh) & 1;
  });
  return { n, m, cLow, cBits, r, rLow, pairs: pp };
}

/**
 * For blocks [from, to): e = [c_j == r_j] and g = [c_j < r_j] = (1 - c_j) r_j,
 * both linear in r_j since c is public (Catrina-de Hoogh BitLT).
 */
function equalAndLess(mk: Masked, from: number, to: number): { e: F.FieldVec; g: F.FieldVec } {
  const { n } = mk;
  return F.bitCompare(F.slice(mk.r, from * n, to * n), mk.cBits.subarray(from * n, to * n));
}

interface Node {
  readonly e: F.FieldVec;
  readonly g: F.FieldVec;
}

/**
 * The operator (e, g)_hi o (e, g)_lo = (e_hi e_lo, g_hi + e_hi g_lo) on the
 * pairs (2k, 2k+1), from P = r_(2k) r_(2k+1) alone: with c public, both
 * are affine in r_lo, r_hi and P. By (c_hi, c_lo):
 *   (0,0): e = 1 - S, g = S with S = r_lo + r_hi - P;  (0,1): e = r_lo - P, g = r_hi;
 *   (1,0): e = r_hi - P, g = P;                         (1,1): e = P, g = 0.
 * Returns the m/2 pair nodes in position order.
 */
function pairNodes(mk: Masked): Node[] {
  const { n, m } = mk;
  const np = m >> 1;
  if (np === 0) return [];
  const half = Math.ceil(m / 2);
  const { e, g } = F.pairCompare(
    F.slice(mk.r, 0, np * n),
    F.slice(mk.r, half * n, (half + np) * n),
    mk.pairs!,
    mk.cBits.subarray(0, np * n),
    mk.cBits.subarray(half * n, (half + np) * n),
  );
  return range(np).map((k) => ({
    e: F.slice(e, k * n, (k + 1) * n),
    g: F.slice(g, k * n, (k + 1) * n),
  }));
}

/** The node of the top position m - 1 when m is odd (it has no partner). */
function oddNode(mk: Masked): Node[] {
  if (!(mk.m & 1)) return [];
  const b = Math.ceil(mk.m / 2) - 1; // the last even block
  return [equalAndLess(mk, b, b + 1)];
}

/**
 * [c < r] over m bit positions by a binary tree of the operator o: the most
 * significant differing bit decides. The first level comes from the pair
 * products; then ceil(log2(m/2)) rounds of about 2 multiplications per node.
 */
async function bitLessThan(s: ShamirSuite, mk: Masked): Promise<F.FieldVec> {
  let nodes: Array<{ e: F.FieldVec | undefined; g: F.FieldVec }> = [
    ...pairNodes(mk),
    ...oddNode(mk),
  ];
  // The lowest node is only ever the low operand: its e is never used.
  nodes[0] = { e: undefined, g: nodes[0]!.g };
  while (nodes.length > 1) {
    const count = nodes.length >> 1;
    const left: F.FieldVec[] = [];
    const right: F.FieldVec[] = [];
    for (let k = 0; k < count; k++) {
      const lo = nodes[2 * k]!;
      const hi = nodes[2 * k + 1]!;
      left.push(hi.e!);
      right.push(lo.g);
      if (lo.e) {
        left.push(hi.e!);
        right.push(lo.e);
      }
    }
    const prod = await s.mulField(left, right, 'shamir.bitLT');
    const n = mk.n;
    const next: typeof nodes = [];
    let at = 0;
    const take = () => F.slice(prod, n * at, n * ++at);
    for (let k = 0; k < count; k++) {
      const lo = nodes[2 * k]!;
      const hi = nodes[2 * k + 1]!;
      const eg = take();
      next.push({ e: lo.e ? take() : undefined, g: F.add(hi.g, eg) });
    }
    if (nodes.length & 1) next.push(nodes[nodes.length - 1]!);
    nodes = next;
  }
  return nodes[0]!.g;
}

/**
 * All prefixes [c mod 2^(j+1) < r mod 2^(j+1)] for j < m, by Sklansky's
 * parallel prefix over the operator o (its first level from the pair
 * products): about log2 m rounds and (m/2) log2 m multiplications pairs.
 * Returns them by position.
 */
async function bitLessThanPrefixes(s: ShamirSuite, mk: Masked): Promise<F.FieldVec[]> {
  const { n, m } = mk;
  const half0 = Math.ceil(m / 2);
  const even = equalAndLess(mk, 0, half0);
  const pairs = pairNodes(mk);
  const E: F.FieldVec[] = [];
  const G: F.FieldVec[] = [];
  for (let j = 0; j < m; j++) {
    if (j & 1) {
      E.push(pairs[j >> 1]!.e);
      G.push(pairs[j >> 1]!.g);
    } else {
      E.push(F.slice(even.e, (j >> 1) * n, ((j >> 1) + 1) * n));
      G.push(F.slice(even.g, (j >> 1) * n, ((j >> 1) + 1) * n));
    }
  }
  for (let half = 2; half < m; half <<= 1) {
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
    const prod = await s.mulField(left, right, 'shamir.bitLT');
    let at = 0;
    for (const j of targets) {
      G[j] = F.add(G[j]!, F.slice(prod, n * at, n * ++at));
      if (!last) E[j] = F.slice(prod, n * at, n * ++at);
    }
  }
  return G;
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
  const n = F.length(x);
  const a = F.addScalar(x, pow2(b - 1));
  // The mask is drawn with the bits, so that both take the same rounds.
  const [rHigh, r] = await Promise.all([
    randomMask(s, n, b + STAT_SEC - m),
    randomBitsField(s, m * n),
  ]);
  const mk = await maskedOpen(s, a, r, rHigh, m, 'shamir.trunc', false);
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
  const n = F.length(x);
  const a = F.addScalar(x, pow2(m));
  const [rHigh, r] = await Promise.all([
    randomMask(s, n, b + STAT_SEC - m),
    randomBitsField(s, m * n),
  ]);
  const mk = await maskedOpen(s, a, r, rHigh, m, 'shamir.ltz', true);
  const u = await bitLessThan(s, mk);
  const floorA = F.sub(F.mulScalar(F.add(F.sub(a, mk.cLow), mk.rLow), F.inv(pow2(m))), u);
  return F.addScalar(F.neg(floorA), 1n);
}

/** Below this many bits, EQZ multiplies the equality bits out instead of recursing. */
const EQZ_DIRECT = 6;

/**
 * [x == 0] (Catrina-de Hoogh EQZ): with m = b and a = x + 2^b, x = 0 exactly
 * when (a + r') mod 2^m = r', i.e. when the number of bit positions where c'
 * and r differ, s = sum_j (1 - e_j) in [0, m], is 0. s is a smaller number
 * of ceil(log2(m + 1)) bits, so the same test recurses on it until few bits
 * remain, which are ANDed by a tree. Random bits for every level are drawn
 * together, up front.
 */
export async function shamirEqz(s: ShamirSuite, x: F.FieldVec, b: number): Promise<F.FieldVec> {
  const n = F.length(x);
  const sizes = [b];
  while (sizes[sizes.length - 1]! > EQZ_DIRECT) {
    sizes.push(Math.ceil(Math.log2(sizes[sizes.length - 1]! + 1)));
  }
  const total = sizes.reduce((u, v) => u + v, 0);
  const [masks, bits] = await Promise.all([
    randomMask(s, sizes.length * n, STAT_SEC),
    randomBitsField(s, total * n),
  ]);
  let value = F.addScalar(x, pow2(b));
  let off = 0;
  for (let k = 0; k < sizes.length; k++) {
    const m = sizes[k]!;
    const r = F.slice(bits, off * n, (off + m) * n);
    off += m;
    const direct = k === sizes.length - 1;
    const rHigh = F.slice(masks, k * n, (k + 1) * n);
    const mk = await maskedOpen(s, value, r, rHigh, m, 'shamir.eqz', direct);
    if (direct) return andAll(s, mk);
    // s = m - sum_j e_j, an integer in [0, m].
    const { e } = equalAndLess(mk, 0, m);
    const sum = F.sumVectors(range(m).map((j) => F.slice(e, j * n, (j + 1) * n)));
    value = F.addScalar(F.neg(sum), BigInt(m));
  }
  throw new Error('shamir.eqz: unreachable');
}

/** prod_j e_j: the pair products give the first level, then a tree. */
async function andAll(s: ShamirSuite, mk: Masked): Promise<F.FieldVec> {
  const n = mk.n;
  let nodes = [...pairNodes(mk), ...oddNode(mk)].map((v) => v.e);
  while (nodes.length > 1) {
    const half = nodes.length >> 1;
    const prod = await s.mulField(
      range(half).map((k) => nodes[2 * k]!),
      range(half).map((k) => nodes[2 * k + 1]!),
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
  const n = F.length(x);
  const a = F.addScalar(x, pow2(k));
  const [rHigh, r] = await Promise.all([randomMask(s, n, STAT_SEC), randomBitsField(s, k * n)]);
  const mk = await maskedOpen(s, a, r, rHigh, k, 'shamir.bits', true);
  const borrow = await bitLessThanPrefixes(s, mk); // borrow_(j+1), by position j
  const pos = positions(k);
  const block = new Array<number>(k);
  pos.forEach((j, b) => (block[j] = b));
  const out = F.alloc(k * n);
  const uo = u32(out);
  for (let j = 0; j < k; j++) {
    const b = block[j]!;
    const cj = F.alloc(n);
    const uc = u32(cj);
    for (let i = 0; i < n; i++) uc[4 * i] = mk.cBits[b * n + i]!;
    // y_j = c_j - r_j + 2 borrow_(j+1) - borrow_j, with borrow_0 = 0.
    const terms = [cj, F.slice(mk.r, b * n, (b + 1) * n), borrow[j]!];
    const coeffs = [1n, -1n, 2n];
    if (j > 0) {
      terms.push(borrow[j - 1]!);
      coeffs.push(-1n);
    }
    const y = u32(F.linearCombination(terms, coeffs));
    // Scatter to element-major order.
    for (let i = 0; i < n; i++) {
      const d = 4 * (i * k + j);
      const q = 4 * i;
      uo[d] = y[q]!;
      uo[d + 1] = y[q + 1]!;
      uo[d + 2] = y[q + 2]!;
      uo[d + 3] = y[q + 3]!;
    }
  }
  return out;
}
