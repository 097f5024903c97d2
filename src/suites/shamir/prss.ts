/**
 * Pseudo-random secret sharing (Cramer, Damgard, Ishai, "Share Conversion,
 * Pseudorandom Secret-Sharing and Applications to Secure Computation", TCC
 * 2005, sections 3 and 4), for Shamir sharings of degree t among n parties.
 *
 * Assumes: semi-honest parties, at most t of them corrupted, private
 * authenticated channels for the one setup round. Keys come from the OS
 * CSPRNG; each expands through AES-128-CTR (src/random/prg.ts).
 *
 * One key k_A per maximal unqualified set A (|A| = t), known to the n - t
 * parties outside A. With f_A a polynomial of degree t that vanishes on the
 * points of A, party i's share of the random value sum_A f_A(0) PRF(k_A) is
 * sum_{A not containing i} PRF(k_A) f_A(i + 1): every party outside A knows
 * PRF(k_A), and the parties in A need not, because f_A is zero there. Any t
 * corrupted parties B miss exactly the key k_B, whose term hides the value.
 *
 *  - random:    f_A(X) = prod_{a in A} (a + 1 - X), small integer values;
 *  - randomInt: f_A scaled so f_A(0) = 1, with PRF(k_A) in [0, 2^l): the
 *               integer sum_A PRF(k_A) < C(n,t) 2^l, uniform in the one term
 *               the adversary lacks (a "replicated integer" mask);
 *  - zero2t:    sum_A sum_{j=1..t} PRF_j(k_A) X^j f_A(X), a random sharing of
 *               0 of degree 2t (section 4 of the paper);
 *  - setBits:   the bits of one key k_A, each bit b shared as the public
 *               polynomial b phi_A(X) (phi_A(0) = 1): known to the parties
 *               outside A, unknown to those in A (used for random bits).
 *
 * Also pairwise keys (one per pair of parties) for cheaper inputs.
 *
 * Every party holding a key must draw from it at the same points of the
 * program: the suite draws in program order, right before the exchange that
 * uses the randomness, so a divergence also shows as an exchange mismatch.
 */
import * as F from '../../arith/field127.js';
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';

/** All t-subsets of {0..n-1}, in lexicographic order. */
export function subsets(n: number, t: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (start: number) => {
    if (cur.length === t) {
      out.push([...cur]);
      return;
    }
    for (let i = start; i <= n - (t - cur.length); i++) {
      cur.push(i);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

/** Number of t-subsets of n parties, C(n, t). */
export function binomial(n: number, t: number): number {
  let r = 1;
  for (let k = 1; k <= t; k++) r = (r * (n - t + k)) / k;
  return Math.round(r);
}

interface HeldKey {
  /** The set A this key belongs to (the parties that do not know it). */
  readonly set: readonly number[];
  readonly prg: Prg;
  /** f_A(me + 1) with f_A(X) = prod_{a in A} (a + 1 - X). */
  readonly psi: bigint;
  /** The same scaled so that f_A(0) = 1 (a field constant). */
  readonly phi: bigint;
  /** (me + 1)^j f_A(me + 1) for j = 1..t. */
  readonly zeta: readonly bigint[];
}

const KEY_BYTES = 16;
/** Elements drawn per block, times the number of keys: bounds the memory of one draw. */
const BLOCK_WORDS = 1 << 18;

export class Prss {
  private constructor(
    readonly n: number,
    readonly t: number,
    readonly me: number,
    private readonly held: readonly HeldKey[],
    private readonly pairs: ReadonlyArray<Prg | undefined>,
  ) {}

  /**
   * The setup round: for each set A, the smallest-index party outside A
   * draws k_A and sends it to the other parties outside A; for each pair
   * i < j, party i draws their pairwise key and sends it to j.
   * @throws {ProtocolAbort} ('malformed') when a peer sends the wrong number of bytes.
   */
  static async setup(party: Party, t: number, op: string): Promise<Prss> {
    const { n, index: me } = party;
    const sets = subsets(n, t);
    const outside = sets.map((A) => complement(A, n));
    const out: Uint8Array[][] = Array.from({ length: n }, () => []);
    const keys = new Map<number, Uint8Array>();
    sets.forEach((_, s) => {
      const holders = outside[s]!;
      if (holders[0] !== me) return;
      const k = randomSeed(party.crypto);
      keys.set(s, k);
      for (const j of holders) if (j !== me) out[j]!.push(k);
    });
    const pairKeys: Array<Uint8Array | undefined> = new Array(n);
    for (let j = me + 1; j < n; j++) {
      const k = randomSeed(party.crypto);
      pairKeys[j] = k;
      out[j]!.push(k);
    }
    const expect = (from: number) =>
      sets.filter((_, s) => outside[s]![0] === from && outside[s]!.includes(me)).length +
      (from < me ? 1 : 0);
    const recvFrom: number[] = [];
    for (let j = 0; j < n; j++) if (j !== me && expect(j) > 0) recvFrom.push(j);
    const got = await party.exchange({
      op,
      send: out.map((ks, j) => (j === me || ks.length === 0 ? undefined : concatBytes(ks))),
      recvFrom,
    });
    const cursor = new Array<number>(n).fill(0);
    const next = (from: number): Uint8Array => {
      const body = got[from]!;
      const want = KEY_BYTES * expect(from);
      if (body.length !== want) {
        throw new ProtocolAbort(
          'malformed',
          from,
          party.ids[from],
          `${op}: sent ${body.length} bytes of keys, expected ${want}`,
        );
      }
      const off = cursor[from]!;
      cursor[from] = off + KEY_BYTES;
      return body.slice(off, off + KEY_BYTES);
    };
    const held: HeldKey[] = [];
    const x = BigInt(me + 1);
    sets.forEach((A, s) => {
      const holders = outside[s]!;
      if (!holders.includes(me)) return;
      const key = holders[0] === me ? keys.get(s)! : next(holders[0]!);
      let psi = 1n;
      let psi0 = 1n;
      for (const a of A) {
        psi *= BigInt(a + 1) - x;
        psi0 *= BigInt(a + 1);
      }
      const zeta: bigint[] = [];
      let xp = 1n;
      for (let j = 1; j <= t; j++) {
        xp *= x;
        zeta.push(xp * psi);
      }
      held.push({
        set: A,
        prg: new Prg(key, party.crypto),
        psi,
        phi: F.reduce(psi * F.inv(psi0)),
        zeta,
      });
    });
    const pairs: Array<Prg | undefined> = new Array(n);
    for (let j = 0; j < n; j++) {
      if (j === me) continue;
      const key = j > me ? pairKeys[j]! : next(j);
      pairs[j] = new Prg(key, party.crypto);
    }
    return new Prss(n, t, me, held, pairs);
  }

  /** Number of keys this party holds, C(n-1, t). */
  get keys(): number {
    return this.held.length;
  }

  /** This party's shares of `len` uniformly random elements (degree t). */
  random(len: number): F.FieldVec {
    return this.combine(
      len,
      1,
      (h) => [h.psi],
      (w) => F.clearTopBits(w),
    );
  }

  /**
   * This party's shares of `len` random integers r = sum_A r_A with each
   * r_A uniform in [0, 2^bits): r < C(n,t) 2^bits, and r minus the terms any
   * t parties know is uniform in [0, 2^bits).
   */
  randomInt(len: number, bits: number): F.FieldVec {
    return this.combine(
      len,
      1,
      (h) => [h.phi],
      (w) => F.keepLowBits(w, bits),
    );
  }

  /** This party's shares of `len` zeros, as a random polynomial of degree 2t. */
  zero2t(len: number): F.FieldVec {
    return this.combine(
      len,
      this.t,
      (h) => h.zeta,
      (w) => F.clearTopBits(w),
    );
  }

  /**
   * `len` uniform bits from the key of set A, with phi_A(me + 1), where phi_A
   * is the degree-t polynomial with phi_A(0) = 1 that vanishes on A: so
   * b phi_A(X) is a sharing of the bit b that needs no communication (the
   * parties in A, who do not know b, hold 0). Undefined for parties in A.
   * @throws {RangeError} unless A is a set of t parties.
   */
  setBits(A: readonly number[], len: number): { bits: Uint8Array; phi: bigint } | undefined {
    if (A.length !== this.t) throw new RangeError(`prss.setBits: expected ${this.t} parties in A`);
    if (A.includes(this.me)) return undefined;
    const key = this.held.find(
      (h) => h.set.length === A.length && h.set.every((a, i) => a === A[i]),
    );
    if (!key) throw new RangeError(`prss.setBits: no key for the set [${A.join(', ')}]`);
    const bits = key.prg.bytes(len);
    for (let i = 0; i < len; i++) bits[i] = bits[i]! & 1;
    return { bits, phi: key.phi };
  }

  /**
   * The next `bytes` bytes of the key of set A (a fresh buffer), known to
   * the parties outside A: the components of a replicated sharing
   * (./compare3.ts). Undefined for parties in A.
   * @throws {RangeError} unless A is a set of t parties.
   */
  setStream(A: readonly number[], bytes: number): Uint8Array | undefined {
    const key = this.keyOf(A);
    return key && key.prg.bytes(bytes);
  }

  /** phi_A(me + 1) (see setBits); undefined for parties in A. @throws {RangeError} unless A is a set of t parties. */
  phiOf(A: readonly number[]): bigint | undefined {
    return this.keyOf(A)?.phi;
  }

  private keyOf(A: readonly number[]): HeldKey | undefined {
    if (A.length !== this.t) throw new RangeError(`prss: expected ${this.t} parties in a set`);
    if (A.includes(this.me)) return undefined;
    const key = this.held.find(
      (h) => h.set.length === A.length && h.set.every((a, i) => a === A[i]),
    );
    if (!key) throw new RangeError(`prss: no key for the set [${A.join(', ')}]`);
    return key;
  }

  /** `len` uniform elements from the key shared with `peer` only. */
  pairRandom(peer: number, len: number): F.FieldVec {
    const prg = this.pairs[peer];
    if (!prg) throw new RangeError(`prss.pairRandom: no key with party ${peer}`);
    return F.clearTopBits(prg.words(2 * len));
  }

  /**
   * sum over held keys of sum_j draw_j * coefficient_j, in blocks of
   * elements so that C(n-1, t) keys never need C(n-1, t) full vectors.
   */
  private combine(
    len: number,
    perKey: number,
    coeffs: (h: HeldKey) => readonly bigint[],
    shape: (w: BigUint64Array) => F.FieldVec,
  ): F.FieldVec {
    const terms = this.held.length * perKey;
    const block = Math.max(1, Math.floor(BLOCK_WORDS / (2 * terms)));
    const c = this.held.flatMap((h) => coeffs(h));
    if (len <= block) return this.combineBlock(len, perKey, c, shape);
    const parts: F.FieldVec[] = [];
    for (let off = 0; off < len; off += block) {
      parts.push(this.combineBlock(Math.min(block, len - off), perKey, c, shape));
    }
    return F.concat(parts);
  }

  private combineBlock(
    len: number,
    perKey: number,
    c: readonly bigint[],
    shape: (w: BigUint64Array) => F.FieldVec,
  ): F.FieldVec {
    const vs: F.FieldVec[] = [];
    // Draw the per-key vectors in key order; for several per key, one draw each.
    for (const h of this.held) {
      const w = shape(h.prg.words(2 * len * perKey));
      for (let j = 0; j < perKey; j++) vs.push(F.slice(w, j * len, (j + 1) * len));
    }
    return F.linearCombination(vs, c);
  }
}

function complement(A: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!A.includes(i)) out.push(i);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
