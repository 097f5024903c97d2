/**
 * INSECURE trusted-dealer preprocessing, for tests and benchmarks only.
 *
 * Every party derives all the material from one seed that party 0 chose and
 * sent to everyone, so every party can compute every other party's shares:
 * there is no security at all, against anyone. It exists to test and time
 * the online phase of the dishonest-majority suites without the cost of
 * OT-based preprocessing (MP-SPDZ's "insecure preprocessing" plays the same
 * role). The suites refuse it unless the caller sets the explicit
 * `allowInsecureDealer` flag, which production configuration (the CLI, the
 * registered suites) never does.
 */
import * as ring from '../../arith/ring64.js';
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import * as z from '../spdz2k/z2k.js';
import type { Limbs } from '../spdz2k/z2k.js';

/** The refusal message, in one place. */
export const INSECURE_DEALER_REFUSED =
  'insecureDealer gives every party every share; it is for tests and benchmarks only and needs allowInsecureDealer: true';

/** A PRG every party holds: party 0's seed, sent in the clear (one round). */
export async function dealerPrg(party: Party, op: string): Promise<Prg> {
  const me = party.index;
  const seed = me === 0 ? randomSeed(party.crypto) : undefined;
  const send = Array.from({ length: party.n }, (_, j) => (me === 0 && j !== 0 ? seed : undefined));
  const got = await party.exchange({ op, send, recvFrom: me === 0 ? [] : [0] });
  const s = me === 0 ? seed! : got[0];
  if (!s || s.length !== 16)
    throw new ProtocolAbort('malformed', 0, party.ids[0], `${op}: bad seed`);
  return new Prg(s.slice(), party.crypto);
}

/**
 * Splits `total` into n additive shares mod 2^64 drawn from the common PRG
 * and returns party `me`'s (every party draws every share, to stay in step).
 */
export function additiveShare(
  prg: Prg,
  total: BigUint64Array,
  n: number,
  me: number,
): BigUint64Array {
  const last = total.slice();
  let mine: BigUint64Array | undefined;
  for (let j = 0; j < n - 1; j++) {
    const s = prg.words(total.length);
    ring.sub(last, s, last);
    if (j === me) mine = s;
  }
  return mine ?? last;
}

/** Splits `total` into n XOR shares (words) and returns party `me`'s. */
export function xorShare(prg: Prg, total: BigUint64Array, n: number, me: number): BigUint64Array {
  const last = total.slice();
  let mine: BigUint64Array | undefined;
  for (let j = 0; j < n - 1; j++) {
    const s = prg.words(total.length);
    for (let q = 0; q < s.length; q++) last[q] = last[q]! ^ s[q]!;
    if (j === me) mine = s;
  }
  return mine ?? last;
}

/** Splits 0/1 bytes into n XOR shares and returns party `me`'s. */
export function xorShareBytes(prg: Prg, total: Uint8Array, n: number, me: number): Uint8Array {
  const last = total.slice();
  let mine: Uint8Array | undefined;
  for (let j = 0; j < n - 1; j++) {
    const s = prg.bytes(total.length);
    for (let q = 0; q < s.length; q++) {
      s[q] = s[q]! & 1;
      last[q] = last[q]! ^ s[q]!;
    }
    if (j === me) mine = s;
  }
  return mine ?? last;
}

/** Material for the semi2k suite from the common PRG (INSECURE). */
export class InsecureSemi2kDealer {
  constructor(
    readonly prg: Prg,
    readonly n: number,
    readonly me: number,
  ) {}

  arithTriples(N: number): { a: BigUint64Array; b: BigUint64Array; c: BigUint64Array } {
    const a = this.prg.words(N);
    const b = this.prg.words(N);
    const c = ring.mul(a, b);
    return {
      a: additiveShare(this.prg, a, this.n, this.me),
      b: additiveShare(this.prg, b, this.n, this.me),
      c: additiveShare(this.prg, c, this.n, this.me),
    };
  }

  bitTriples(W: number): { a: BigUint64Array; b: BigUint64Array; c: BigUint64Array } {
    const a = this.prg.words(W);
    const b = this.prg.words(W);
    const c = new BigUint64Array(W);
    for (let q = 0; q < W; q++) c[q] = a[q]! & b[q]!;
    return {
      a: xorShare(this.prg, a, this.n, this.me),
      b: xorShare(this.prg, b, this.n, this.me),
      c: xorShare(this.prg, c, this.n, this.me),
    };
  }

  daBits(N: number): { arith: BigUint64Array; bool: Uint8Array } {
    const bits = this.prg.bytes(N);
    const words = new BigUint64Array(N);
    for (let i = 0; i < N; i++) {
      bits[i] = bits[i]! & 1;
      words[i] = BigInt(bits[i]!);
    }
    return {
      arith: additiveShare(this.prg, words, this.n, this.me),
      bool: xorShareBytes(this.prg, bits, this.n, this.me),
    };
  }
}

/** Splits L-limb elements into n additive shares mod 2^(64 L); returns party `me`'s. */
export function limbShare(
  prg: Prg,
  total: BigUint64Array,
  L: Limbs,
  n: number,
  me: number,
): BigUint64Array {
  const last = total.slice();
  let mine: BigUint64Array | undefined;
  for (let j = 0; j < n - 1; j++) {
    const s = prg.words(total.length);
    z.sub(L, last, s, last);
    if (j === me) mine = s;
  }
  return mine ?? last;
}

/**
 * Material for the spdz2k suite from the common PRG (INSECURE): every party
 * can compute every key share, value and MAC. Values live in Z_2^128 with
 * MACs alpha x mod 2^128.
 */
export class InsecureSpdz2kDealer {
  /** Every party's MAC key share (64 bits each), and their sum. */
  readonly alphas: BigUint64Array;
  readonly alpha: BigUint64Array;

  constructor(
    readonly prg: Prg,
    readonly n: number,
    readonly me: number,
  ) {
    this.alphas = prg.words(n);
    this.alpha = new BigUint64Array(2);
    for (const a of this.alphas) z.add(2, this.alpha, z.lift(2, BigUint64Array.of(a)), this.alpha);
  }

  /** Shares of values v (2 limbs each) and of their MACs. */
  #auth(v: BigUint64Array): { x: BigUint64Array; m: BigUint64Array } {
    const count = v.length / 2;
    const al = new BigUint64Array(2 * count);
    for (let i = 0; i < count; i++) al.set(this.alpha, 2 * i);
    const mac = z.mul(2, v, al);
    return {
      x: limbShare(this.prg, v, 2, this.n, this.me),
      m: limbShare(this.prg, mac, 2, this.n, this.me),
    };
  }

  triples(N: number): Record<string, BigUint64Array> {
    const a = this.prg.words(2 * N);
    const b = this.prg.words(2 * N);
    const c = z.mul(2, a, b);
    const A = this.#auth(a);
    const B = this.#auth(b);
    const C = this.#auth(c);
    return { a: A.x, b: B.x, c: C.x, ma: A.m, mb: B.m, mc: C.m };
  }

  rands(N: number): Record<string, BigUint64Array> {
    const r = this.#auth(this.prg.words(2 * N));
    return { x: r.x, m: r.m };
  }

  /** Input masks of `owner`: `r` holds the values at the owner, zeros elsewhere. */
  inputs(owner: number, N: number): Record<string, BigUint64Array> {
    const v = this.prg.words(2 * N);
    const r = this.#auth(v);
    return { x: r.x, m: r.m, r: this.me === owner ? v : new BigUint64Array(2 * N) };
  }

  bits(N: number): Record<string, BigUint64Array> {
    const raw = this.prg.bytes(N);
    const v = new BigUint64Array(2 * N);
    for (let i = 0; i < N; i++) v[2 * i] = BigInt(raw[i]! & 1);
    const r = this.#auth(v);
    return { x: r.x, m: r.m };
  }
}
