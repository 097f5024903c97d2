/**
 * OT-based preprocessing for spdz2k: the MAC key correlation, authenticated
 * random values, input masks and multiplication triples, after SPDZ2k
 * (Cramer, Damgard, Escudero, Scholl, Xing, CRYPTO 2018, section 4) and
 * MASCOT (Keller, Orsini, Scholl, CCS 2016), with k = 64, s = 64.
 *
 * Security model: malicious (static) corruption of up to n - 1 parties,
 * abort allowed; authenticated private channels; OT extension with the KOS
 * check (maliciously secure); base OTs of Masny-Rindal (random-oracle model).
 * Every item leaves this module only after the checks that cover it passed.
 *
 * Domains. Online values live in Z_2^128 (k + s) and are correct mod 2^64.
 * Preprocessing authenticates in Z_2^192 (k + 2s) and checks mod 2^128, so
 * that the triple check, which loses s bits, still pins triples down mod
 * 2^64; items are then cut to 128 bits (shares and MAC shares alike: the MAC
 * relation mod 2^192 implies it mod 2^128).
 *
 * Authentication (MASCOT's COPE with Gilboa's bit decomposition of the key):
 * for each ordered pair (i, j), party j ran 64 base OTs as receiver with the
 * bits of its key share alpha_j as choices, and i holds both seeds of each.
 * To authenticate its share x, i expands the seeds into t0_l, t1_l and sends
 * u_l = t0_l - t1_l + x; j computes q_l = t_{alpha_l, l} + alpha_l u_l =
 * t0_l + alpha_l x, so sum_l 2^l q_l and -sum_l 2^l t0_l share alpha_j x.
 * A party that uses different x in different u_l is caught by the checks
 * below (a random combination, or the sacrifice), as in MASCOT.
 *
 * Triples: each party draws choice bits a_i^(1..tau) and b_i; for each
 * ordered pair (s, r) one random OT per bit gives shares of a_r^(l) b_s
 * (r chooses a_r^(l); s sends u = m0 - m1 + b_s, 128 bits). A corrupted
 * sender can use a wrong b_s in some OTs and learn from the outcome of the
 * check whether the receiver's bit was 1 (selective failure); so the triple
 * uses a = sum_l r_l a^(l) with public random r_l drawn after the OTs (the
 * MASCOT "combine" step), a universal hash of tau bits that is 2^-s close to
 * uniform mod 2^64 for tau = k + 2s whatever was learnt (each learnt bit
 * halves the chance of going unnoticed). The second triple (a-hat, b) for
 * the sacrifice must be uniform mod 2^128, so it takes tau = k + 3s bits.
 * Then a, b, c, a-hat, c-hat are authenticated, and the sacrifice opens
 * rho = t a - a-hat and checks t c - c-hat - rho b = 0 (mod 2^128) for a
 * public random t < 2^64, with a MAC check over Z_2^192 of all that was
 * opened. An error e in c with 2^v || e, v < 64, survives with probability
 * about 2^-s.
 *
 * Random values and input masks: authenticate them and one extra random
 * value, then open a random combination masked by the extra one and MAC-check
 * it (MASCOT's input check); an inconsistent authentication fails it.
 */
import {
  baseOT,
  type BaseOtReceiverOutput,
  type BaseOtSenderOutput,
} from '../../primitives/ot/base.js';
import type { OtReceiverOutput, OtSenderOutput } from '../../primitives/ot/extension.js';
import { Prg } from '../../random/prg.js';
import type { Party } from '../../runtime/party.js';
import { bytesOf, others, pipelined } from '../semi2k/gen.js';
import { OtMesh } from '../semi2k/pairwise.js';
import { wordsOf } from '../vectors.js';
import { CoinFlip, MacChecker, Spdz2kAbort } from './mac.js';
import type { Spdz2kSource } from './spdz2k.js';
import { Spdz2kKernels } from './wasm.js';
import * as z from './z2k.js';

/**
 * Choice bits per triple: (a mod 2^64, a-hat mod 2^128) is a universal hash
 * of them (two independent coefficient vectors), 192 bits out, so
 * tau = 192 + 2s = 320 leaves it 2^-s close to uniform.
 */
export const TAU = 320;

/** Items per batch (bounds memory: 448 OTs of 2 x 16 bytes per triple and pair). */
const TRIPLE_CHUNK = 1024;
const AUTH_CHUNK = 4096;

export const PREP_LABELS = {
  cope: 'entente/spdz2k/cope/base-ot/v1',
} as const;

/** The per-pair PRGs of the key correlation. */
interface Cope {
  /** As authenticator of my shares towards j: seeds for choice 0 and 1, per key bit. */
  readonly g0: Map<number, Prg[]>;
  readonly g1: Map<number, Prg[]>;
  /** As key holder towards i: the seed of my choice, per key bit. */
  readonly h: Map<number, Prg[]>;
}

function bitsOf(x: bigint): Uint8Array {
  return Uint8Array.from({ length: 64 }, (_, l) => Number((x >> BigInt(l)) & 1n));
}

function u64(b: Uint8Array): BigUint64Array {
  if (b.byteOffset % 8 !== 0) b = b.slice();
  return new BigUint64Array(b.buffer, b.byteOffset, b.length >>> 3);
}

export class OtPreprocessing implements Spdz2kSource {
  readonly party: Party;
  readonly alpha: bigint;
  readonly #coins: CoinFlip;
  readonly #mesh: OtMesh;
  readonly #checker: MacChecker;
  readonly #tag: string;
  #cope: Promise<Cope> | undefined;
  /** Triples per chunk (memory: 320 OTs of 2 x 16 bytes per triple and pair). */
  tripleChunk = TRIPLE_CHUNK;

  constructor(
    party: Party,
    alpha: bigint,
    coins: CoinFlip,
    sessionTag: string,
    skipChecks = false,
  ) {
    this.party = party;
    this.alpha = BigInt.asUintN(64, alpha);
    this.#coins = coins;
    this.#tag = sessionTag;
    this.#mesh = new OtMesh(party, true, true);
    this.#checker = new MacChecker({
      party,
      L: 3,
      K: 128,
      alpha: this.alpha,
      coins,
      op: 'spdz2k.prep.check',
      skip: skipChecks,
    });
  }

  /** The key correlation: 64 base OTs per ordered pair, the key holder choosing its key bits. */
  #ready(): Promise<Cope> {
    this.#cope ??= (async () => {
      const party = this.party;
      const me = party.index;
      const pairs: Array<readonly [number, number]> = [];
      for (let i = 0; i < party.n; i++)
        for (let j = 0; j < party.n; j++) if (i !== j) pairs.push([i, j]);
      const text = new TextEncoder();
      const outs = await Promise.all(
        pairs.map(([i, j]) =>
          baseOT(
            party,
            i,
            j,
            64,
            text.encode(`${PREP_LABELS.cope}/${party.ids[i]}->${party.ids[j]}/${this.#tag}`),
            j === me ? bitsOf(this.alpha) : undefined,
          ),
        ),
      );
      const prgs = (keys: Uint8Array) =>
        Array.from(
          { length: 64 },
          (_, l) => new Prg(keys.slice(16 * l, 16 * l + 16), party.crypto),
        );
      const cope: Cope = { g0: new Map(), g1: new Map(), h: new Map() };
      pairs.forEach(([i, j], k) => {
        if (i === me) {
          const o = outs[k] as BaseOtSenderOutput;
          cope.g0.set(j, prgs(o.k0));
          cope.g1.set(j, prgs(o.k1));
        } else if (j === me) {
          cope.h.set(i, prgs((outs[k] as BaseOtReceiverOutput).k));
        }
      });
      return cope;
    })();
    return this.#cope;
  }

  /**
   * MAC shares (3 limbs each) of the values whose shares are x (3 limbs
   * each); `holders` are the parties whose shares may be nonzero (the others
   * hold zeros and skip their pairs). One round per chunk.
   */
  async authenticate(x: BigUint64Array, holders: readonly number[]): Promise<BigUint64Array> {
    const N = x.length / 3;
    const out = new BigUint64Array(3 * N);
    for (let off = 0; off < N; off += AUTH_CHUNK) {
      const k = Math.min(AUTH_CHUNK, N - off);
      out.set(await this.#authChunk(x.subarray(3 * off, 3 * (off + k)), holders), 3 * off);
    }
    return out;
  }

  async #authChunk(x: BigUint64Array, holders: readonly number[]): Promise<BigUint64Array> {
    const party = this.party;
    const me = party.index;
    const cope = await this.#ready();
    const W = x.length;
    const mac = z.mulWord(3, x, this.alpha);
    // With WebAssembly the PRGs write into the kernels' memory; otherwise into
    // these buffers, reused for every key bit (fewer allocations, less GC).
    const K = spdz2kKernels();
    const t0 = new BigUint64Array(K ? 0 : W);
    const t1 = new BigUint64Array(K ? 0 : W);
    const t0b = new Uint8Array(t0.buffer);
    const t1b = new Uint8Array(t1.buffer);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    if (holders.includes(me)) {
      for (const j of others(party)) {
        const g0 = cope.g0.get(j)!;
        const g1 = cope.g1.get(j)!;
        if (K) {
          // The same steps in WebAssembly, the PRGs writing straight into its memory.
          const { u, acc } = K.copeSend(x, (l, a, b) => {
            g0[l]!.fill(a);
            g1[l]!.fill(b);
          });
          z.sub(3, mac, acc, mac);
          send[j] = bytesOf(u);
          continue;
        }
        const u = new BigUint64Array(64 * W);
        const acc = new BigUint64Array(W);
        // Horner from the top key bit: acc = 2 acc + t0_l, so acc = sum_l 2^l t0_l.
        for (let l = 63; l >= 0; l--) {
          g0[l]!.fill(t0b);
          g1[l]!.fill(t1b);
          copeSendStep(t0, t1, x, u.subarray(l * W, (l + 1) * W), acc);
        }
        z.sub(3, mac, acc, mac);
        send[j] = bytesOf(u);
      }
    }
    const from = holders.filter((i) => i !== me);
    // Each u is a fresh array, never written again: no copy into the round message.
    const got = await party.exchange({ op: 'spdz2k.cope', send, recvFrom: from, handOver: true });
    const bits = bitsOf(this.alpha);
    for (const i of from) {
      const h = cope.h.get(i)!;
      const u = wordsOf(got[i] ?? new Uint8Array(0), 64 * W, i, party.ids[i]!);
      if (K) {
        z.add(
          3,
          mac,
          K.copeRecv(u, bits, (l, t) => h[l]!.fill(t)),
          mac,
        );
        continue;
      }
      const acc = new BigUint64Array(W);
      for (let l = 63; l >= 0; l--) {
        h[l]!.fill(t0b);
        copeReceiveStep(t0, u.subarray(l * W, (l + 1) * W), MASK[bits[l]!]!, acc);
      }
      z.add(3, mac, acc, mac);
    }
    return mac;
  }

  /** Opens shares (3 limbs) mod 2^128 to everyone and records them for the MAC check. */
  async #open128(x: BigUint64Array, m: BigUint64Array, op: string): Promise<BigUint64Array> {
    const party = this.party;
    const n = x.length / 3;
    const lo = z.resize(3, x, 2);
    const peers = others(party);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    for (const j of peers) send[j] = bytesOf(lo);
    const got = await party.exchange({ op, send, recvFrom: peers });
    const y = lo.slice();
    for (const j of peers)
      z.add(2, y, wordsOf(got[j] ?? new Uint8Array(0), 2 * n, j, party.ids[j]!), y);
    const y3 = z.resize(2, y, 3);
    this.#checker.record(y3, x, m);
    return y3;
  }

  /** Random shares: 128 bits (zero-extended to 3 limbs), or 192. */
  #random3(N: number, full = false): BigUint64Array {
    const w = this.party.prg.words(2 * N);
    const out = z.resize(2, w, 3);
    if (full) {
      const top = this.party.prg.words(N);
      for (let i = 0; i < N; i++) out[3 * i + 2] = top[i]!;
    }
    return out;
  }

  /**
   * Authenticates `x` (N values, 3 limbs) held by `holders`, checking a
   * random combination masked by one extra value; returns the MAC shares.
   * The extra value and the check's own mask are drawn here.
   */
  async #authenticateChecked(
    x: BigUint64Array,
    holders: readonly number[],
  ): Promise<BigUint64Array> {
    const N = x.length / 3;
    const me = this.party.index;
    const holds = holders.includes(me);
    // Two extra values: v0 masks the combination, r masks the MAC check.
    const extra = holds ? this.#random3(2, true) : new BigUint64Array(6);
    const all = new BigUint64Array(3 * (N + 2));
    all.set(x);
    all.set(extra, 3 * N);
    const mac = await this.authenticate(all, holders);
    const chi = (await this.#coins.prg()).words(N);
    const yx = z.sum(3, z.mulWords(3, x, chi));
    const ym = z.sum(3, z.mulWords(3, mac.subarray(0, 3 * N), chi));
    z.add(3, yx, extra.subarray(0, 3), yx);
    z.add(3, ym, mac.subarray(3 * N, 3 * N + 3), ym);
    await this.#open128(yx, ym, 'spdz2k.prep.combine');
    await this.#checker.check(extra.subarray(3, 6), mac.subarray(3 * N + 3, 3 * N + 6));
    return mac.subarray(0, 3 * N);
  }

  async rands(N: number): Promise<Record<string, BigUint64Array>> {
    const x = this.#random3(N);
    const m = await this.#authenticateChecked(
      x,
      Array.from({ length: this.party.n }, (_, i) => i),
    );
    return { x: z.resize(3, x, 2), m: z.resize(3, m, 2) };
  }

  async inputs(owner: number, N: number): Promise<Record<string, BigUint64Array>> {
    const mine = this.party.index === owner;
    const x = mine ? this.#random3(N) : new BigUint64Array(3 * N);
    const m = await this.#authenticateChecked(x, [owner]);
    const x2 = z.resize(3, x, 2);
    return { x: x2, m: z.resize(3, m, 2), r: mine ? x2.slice() : new BigUint64Array(2 * N) };
  }

  async triples(N: number): Promise<Record<string, BigUint64Array>> {
    const names = ['a', 'b', 'c', 'ma', 'mb', 'mc'] as const;
    const out: Record<string, BigUint64Array> = {};
    for (const k of names) out[k] = new BigUint64Array(2 * N);
    // Two chunks in flight (see semi2k's pipelined). Every shared stream is
    // drawn in call order at both ends: OT instances and coins serve calls in
    // order, COPE seeds are drawn before the exchange by the authenticator
    // and after it, in round order, by the key holder; and a chunk is released
    // only after its own MAC check, which runs after every earlier one.
    await pipelined(
      N,
      this.tripleChunk,
      (m) => this.#tripleChunk(m),
      (t, off) => {
        for (const name of names) out[name]!.set(t[name]!, 2 * off);
      },
    );
    return out;
  }

  async #tripleChunk(N: number): Promise<Record<string, BigUint64Array>> {
    const party = this.party;
    const me = party.index;
    const count = TAU * N;
    // Choice bits: triple t, bit l at t TAU + l.
    const choices = party.prg.bytes(count);
    for (let i = 0; i < count; i++) choices[i] = choices[i]! & 1;
    const b = party.prg.words(2 * N);
    await this.#mesh.ready();
    const pairs = this.#mesh.pairs;
    const outs = await Promise.all(
      pairs.map(([s, r]) => this.#mesh.ot(s, r).random(count, r === me ? choices : undefined)),
    );
    // cross[t TAU + l] (2 limbs): this party's parts of the cross terms A_r^(l) b_s.
    const cross = new BigUint64Array(2 * count);
    const send: Array<Uint8Array | undefined> = new Array(party.n);
    pairs.forEach(([s, r], k) => {
      if (s !== me) return;
      const o = outs[k] as OtSenderOutput;
      send[r] = bytesOf(correctionsSend(u64(o.m0), u64(o.m1), b, cross));
    });
    const from = others(party);
    const got = await party.exchange({
      op: 'spdz2k.triple.corr',
      send,
      recvFrom: from,
      handOver: true, // fresh correction arrays, never written again
    });
    pairs.forEach(([s, r], k) => {
      if (r !== me) return;
      const o = outs[k] as OtReceiverOutput;
      const u = wordsOf(got[s] ?? new Uint8Array(0), 2 * count, s, party.ids[s]!);
      correctionsReceive(u64(o.m), choices, u, cross);
    });
    // Combine with public coefficients drawn after the OTs: a = sum r_l A^(l)
    // (r_l < 2^64) and a-hat = sum r'_l A^(l) (r'_l < 2^128); c and c-hat alike.
    const prg = await this.#coins.prg();
    const ra = prg.words(TAU);
    const rh = prg.words(2 * TAU);
    const { a, ah, c, ch } = combine(choices, cross, b, ra, rh, N);
    // Authenticate a, a-hat, b, c, c-hat (and the MAC check's mask) in Z_2^192.
    const all = new BigUint64Array(3 * (5 * N + 1));
    [a, ah, b, c, ch].forEach((v, k) => all.set(z.resize(2, v, 3), 3 * k * N));
    all.set(this.#random3(1, true), 15 * N);
    const mac = await this.authenticate(
      all,
      Array.from({ length: party.n }, (_, i) => i),
    );
    const part = (k: number) => ({
      x: all.subarray(3 * k * N, 3 * (k + 1) * N),
      m: mac.subarray(3 * k * N, 3 * (k + 1) * N),
    });
    const [A, AH, B, C, CH] = [0, 1, 2, 3, 4].map(part) as [
      ReturnType<typeof part>,
      ReturnType<typeof part>,
      ReturnType<typeof part>,
      ReturnType<typeof part>,
      ReturnType<typeof part>,
    ];
    // Sacrifice: rho = t a - a-hat (opened), sigma = t c - c-hat - rho b (must open to 0).
    const tw = (await this.#coins.prg()).words(N);
    const rhoX = z.sub(3, z.mulWords(3, A.x, tw), AH.x);
    const rhoM = z.sub(3, z.mulWords(3, A.m, tw), AH.m);
    const rho = await this.#open128(rhoX, rhoM, 'spdz2k.sacrifice.rho');
    const sigX = z.sub(3, z.sub(3, z.mulWords(3, C.x, tw), CH.x), z.mul(3, rho, B.x));
    const sigM = z.sub(3, z.sub(3, z.mulWords(3, C.m, tw), CH.m), z.mul(3, rho, B.m));
    const sigma = await this.#open128(sigX, sigM, 'spdz2k.sacrifice.sigma');
    await this.#checker.check(all.subarray(15 * N, 15 * N + 3), mac.subarray(15 * N, 15 * N + 3));
    for (let t = 0; t < N; t++)
      if (sigma[3 * t] !== 0n || sigma[3 * t + 1] !== 0n)
        throw new Spdz2kAbort(
          'sacrifice',
          undefined,
          undefined,
          `triple ${t} of the batch is not a product`,
        );
    return {
      a: z.resize(3, A.x, 2),
      b: z.resize(3, B.x, 2),
      c: z.resize(3, C.x, 2),
      ma: z.resize(3, A.m, 2),
      mb: z.resize(3, B.m, 2),
      mc: z.resize(3, C.m, 2),
    };
  }
}

const M32 = 0xffffffffn;

/** MASK[c] = 0 or all ones. */
const MASK = BigUint64Array.of(0n, (1n << 64n) - 1n);

/**
 * One key bit of COPE at the authenticator: u = t0 - t1 + x and
 * acc = 2 acc + t0, elementwise over 3-limb values (fused, carries inline).
 */
export function copeSendStep(
  t0: BigUint64Array,
  t1: BigUint64Array,
  x: BigUint64Array,
  u: BigUint64Array,
  acc: BigUint64Array,
): void {
  for (let i = 0; i < t0.length; i += 3) {
    const a0 = t0[i]!;
    const a1 = t0[i + 1]!;
    const a2 = t0[i + 2]!;
    // d = t0 - t1
    const b0 = t1[i]!;
    const b1 = t1[i + 1]!;
    const d0 = BigInt.asUintN(64, a0 - b0);
    const br0 = a0 < b0 ? 1n : 0n;
    const e1 = BigInt.asUintN(64, a1 - b1);
    const br1 = a1 < b1 ? 1n : 0n;
    const d1 = BigInt.asUintN(64, e1 - br0);
    const br1b = e1 < br0 ? 1n : 0n;
    const d2 = BigInt.asUintN(64, a2 - t1[i + 2]! - br1 - br1b);
    // u = d + x
    const x0 = x[i]!;
    const x1 = x[i + 1]!;
    const u0 = BigInt.asUintN(64, d0 + x0);
    const c0 = u0 < d0 ? 1n : 0n;
    const f1 = BigInt.asUintN(64, d1 + x1);
    const c1 = f1 < d1 ? 1n : 0n;
    const u1 = BigInt.asUintN(64, f1 + c0);
    const c1b = u1 < f1 ? 1n : 0n;
    u[i] = u0;
    u[i + 1] = u1;
    u[i + 2] = d2 + x[i + 2]! + c1 + c1b;
    // acc = 2 acc + t0
    const p0 = acc[i]!;
    const p1 = acc[i + 1]!;
    const q0 = BigInt.asUintN(64, (p0 << 1n) + a0);
    const k0 = q0 < a0 ? 1n : 0n; // carry from (p0 << 1) + a0, given p0 << 1 has a 0 lsb
    const dbl1 = BigInt.asUintN(64, (p1 << 1n) | (p0 >> 63n));
    const q1a = BigInt.asUintN(64, dbl1 + a1);
    const k1 = q1a < a1 ? 1n : 0n;
    const q1 = BigInt.asUintN(64, q1a + k0);
    const k1b = q1 < q1a ? 1n : 0n;
    acc[i] = q0;
    acc[i + 1] = q1;
    acc[i + 2] = (acc[i + 2]! << 1n) + (p1 >> 63n) + a2 + k1 + k1b;
  }
}

/** One key bit of COPE at the key holder: q = t + (alpha_l ? u : 0), acc = 2 acc + q. */
export function copeReceiveStep(
  t: BigUint64Array,
  u: BigUint64Array,
  mask: bigint,
  acc: BigUint64Array,
): void {
  for (let i = 0; i < t.length; i += 3) {
    const a0 = t[i]!;
    const a1 = t[i + 1]!;
    const v0 = u[i]! & mask;
    const v1 = u[i + 1]! & mask;
    const q0 = BigInt.asUintN(64, a0 + v0);
    const c0 = q0 < a0 ? 1n : 0n;
    const f1 = BigInt.asUintN(64, a1 + v1);
    const c1 = f1 < a1 ? 1n : 0n;
    const q1 = BigInt.asUintN(64, f1 + c0);
    const c1b = q1 < f1 ? 1n : 0n;
    const q2 = BigInt.asUintN(64, t[i + 2]! + (u[i + 2]! & mask) + c1 + c1b);
    const p0 = acc[i]!;
    const p1 = acc[i + 1]!;
    const r0 = BigInt.asUintN(64, (p0 << 1n) + q0);
    const k0 = r0 < q0 ? 1n : 0n;
    const dbl1 = BigInt.asUintN(64, (p1 << 1n) | (p0 >> 63n));
    const r1a = BigInt.asUintN(64, dbl1 + q1);
    const k1 = r1a < q1 ? 1n : 0n;
    const r1 = BigInt.asUintN(64, r1a + k0);
    const k1b = r1 < r1a ? 1n : 0n;
    acc[i] = r0;
    acc[i + 1] = r1;
    acc[i + 2] = (acc[i + 2]! << 1n) + (p1 >> 63n) + q2 + k1 + k1b;
  }
}

/**
 * Sender corrections of the triple OTs: u = m0 - m1 + b_t (128 bits) for
 * every OT of triple t; subtracts m0 from this party's cross terms.
 */
export function correctionsSend(
  m0: BigUint64Array,
  m1: BigUint64Array,
  b: BigUint64Array,
  cross: BigUint64Array,
  useKernels = true,
): BigUint64Array {
  const K = useKernels ? spdz2kKernels() : undefined;
  if (K) return K.corrSend(m0, m1, b, cross, TAU);
  const u = new BigUint64Array(m0.length);
  const N = b.length / 2;
  for (let t = 0; t < N; t++) {
    const b0 = b[2 * t]!;
    const b1 = b[2 * t + 1]!;
    for (let i = 2 * t * TAU, e = 2 * (t + 1) * TAU; i < e; i += 2) {
      const x0 = m0[i]!;
      const x1 = m0[i + 1]!;
      const y0 = m1[i]!;
      // d = m0 - m1, then u = d + b
      const d0 = BigInt.asUintN(64, x0 - y0);
      const br = x0 < y0 ? 1n : 0n;
      const d1 = BigInt.asUintN(64, x1 - m1[i + 1]! - br);
      const u0 = BigInt.asUintN(64, d0 + b0);
      const cy = u0 < d0 ? 1n : 0n;
      u[i] = u0;
      u[i + 1] = d1 + b1 + cy;
      // cross -= m0
      const c0 = cross[i]!;
      const n0 = BigInt.asUintN(64, c0 - x0);
      const bw = c0 < x0 ? 1n : 0n;
      cross[i] = n0;
      cross[i + 1] = cross[i + 1]! - x1 - bw;
    }
  }
  return u;
}

/** Receiver side: cross += m_c + c u (128 bits, branch-free select). */
export function correctionsReceive(
  m: BigUint64Array,
  choices: Uint8Array,
  u: BigUint64Array,
  cross: BigUint64Array,
  useKernels = true,
): void {
  const K = useKernels ? spdz2kKernels() : undefined;
  if (K) {
    K.corrRecv(m, choices, u, cross);
    return;
  }
  for (let j = 0, i = 0; j < choices.length; j++, i += 2) {
    const mk = MASK[choices[j]!]!;
    const v0 = m[i]!;
    const w0 = u[i]! & mk;
    const s0 = BigInt.asUintN(64, v0 + w0);
    const c0 = s0 < v0 ? 1n : 0n;
    const x0 = cross[i]!;
    const t0 = BigInt.asUintN(64, x0 + s0);
    const c1 = t0 < x0 ? 1n : 0n;
    cross[i] = t0;
    cross[i + 1] = cross[i + 1]! + m[i + 1]! + (u[i + 1]! & mk) + c0 + c1;
  }
}

/**
 * The combine step, per triple: a = sum_l r_l A_l, a-hat = sum_l r'_l A_l
 * over this party's choice bits, c = a b + sum_l r_l cross_l and
 * c-hat = a-hat b + sum_l r'_l cross_l (all mod 2^128). The sums run in
 * WebAssembly where available (src/suites/spdz2k/wasm.ts), else in BigInt.
 */
export function combine(
  choices: Uint8Array,
  cross: BigUint64Array,
  b: BigUint64Array,
  ra: BigUint64Array,
  rh: BigUint64Array,
  N: number,
): { a: BigUint64Array; ah: BigUint64Array; c: BigUint64Array; ch: BigUint64Array } {
  const K = spdz2kKernels();
  const sums = K
    ? K.combine(choices, cross, ra, rh, N, TAU)
    : combineReference(choices, cross, ra, rh, N, TAU);
  const a = new BigUint64Array(2 * N);
  const ah = new BigUint64Array(2 * N);
  const c = new BigUint64Array(2 * N);
  const ch = new BigUint64Array(2 * N);
  for (let t = 0; t < N; t++) {
    a[2 * t] = sums[8 * t]!;
    a[2 * t + 1] = sums[8 * t + 1]!;
    ah[2 * t] = sums[8 * t + 2]!;
    ah[2 * t + 1] = sums[8 * t + 3]!;
    c[2 * t] = sums[8 * t + 4]!;
    c[2 * t + 1] = sums[8 * t + 5]!;
    ch[2 * t] = sums[8 * t + 6]!;
    ch[2 * t + 1] = sums[8 * t + 7]!;
  }
  // c += a b, c-hat += a-hat b
  z.add(2, c, z.mul(2, a, b), c);
  z.add(2, ch, z.mul(2, ah, b), ch);
  return { a, ah, c, ch };
}
let kernels: Spdz2kKernels | null | undefined;
/** The WebAssembly kernels (one instance, created on first use), or undefined without WebAssembly. */
function spdz2kKernels(): Spdz2kKernels | undefined {
  kernels ??= Spdz2kKernels.create() ?? null;
  return kernels ?? undefined;
}

/**
 * The sums of the combine step in BigInt (the reference the WebAssembly
 * kernel is tested against): 8 words per triple, a, a-hat, c and c-hat as
 * (low, high), over tau terms each.
 */
export function combineReference(
  choices: Uint8Array,
  cross: BigUint64Array,
  ra: BigUint64Array,
  rh: BigUint64Array,
  N: number,
  tau: number,
): BigUint64Array {
  const out = new BigUint64Array(8 * N);
  const acc = new BigUint64Array(8);
  for (let t = 0; t < N; t++) {
    // acc: [a0, a1, ah0, ah1, c0, c1, ch0, ch1]
    acc.fill(0n);
    const base = t * tau;
    for (let l = 0; l < tau; l++) {
      const mk = MASK[choices[base + l]!]!;
      const r = ra[l]!;
      const h0 = rh[2 * l]!;
      const h1 = rh[2 * l + 1]!;
      // a += r & mk (r < 2^64)
      const a0 = BigInt.asUintN(64, acc[0]! + (r & mk));
      acc[1] = acc[1]! + (a0 < acc[0]! ? 1n : 0n);
      acc[0] = a0;
      // a-hat += r' & mk
      const e0 = BigInt.asUintN(64, acc[2]! + (h0 & mk));
      acc[3] = acc[3]! + (h1 & mk) + (e0 < acc[2]! ? 1n : 0n);
      acc[2] = e0;
      // c += r cross_l (64 x 128), c-hat += r' cross_l (128 x 128); mulhi inlined (see z2k.mulhi).
      const x0 = cross[2 * (base + l)]!;
      const x1 = cross[2 * (base + l) + 1]!;
      const xl = BigInt.asUintN(64, x0 & M32);
      const xh = BigInt.asUintN(64, x0 >> 32n);
      {
        const yl = BigInt.asUintN(64, r & M32);
        const yh = BigInt.asUintN(64, r >> 32n);
        const m01 = BigInt.asUintN(64, xl * yh);
        const m10 = BigInt.asUintN(64, xh * yl);
        const mid = BigInt.asUintN(64, ((xl * yl) >> 32n) + (m01 & M32) + (m10 & M32));
        const hi = BigInt.asUintN(64, xh * yh + (m01 >> 32n) + (m10 >> 32n) + (mid >> 32n));
        const p0 = BigInt.asUintN(64, x0 * r);
        const p1 = BigInt.asUintN(64, hi + x1 * r);
        const s0 = BigInt.asUintN(64, acc[4]! + p0);
        acc[5] = acc[5]! + p1 + (s0 < p0 ? 1n : 0n);
        acc[4] = s0;
      }
      {
        const yl = BigInt.asUintN(64, h0 & M32);
        const yh = BigInt.asUintN(64, h0 >> 32n);
        const m01 = BigInt.asUintN(64, xl * yh);
        const m10 = BigInt.asUintN(64, xh * yl);
        const mid = BigInt.asUintN(64, ((xl * yl) >> 32n) + (m01 & M32) + (m10 & M32));
        const hi = BigInt.asUintN(64, xh * yh + (m01 >> 32n) + (m10 >> 32n) + (mid >> 32n));
        const q0 = BigInt.asUintN(64, x0 * h0);
        const q1 = BigInt.asUintN(64, hi + x0 * h1 + x1 * h0);
        const w0 = BigInt.asUintN(64, acc[6]! + q0);
        acc[7] = acc[7]! + q1 + (w0 < q0 ? 1n : 0n);
        acc[6] = w0;
      }
    }
    out.set(acc, 8 * t);
  }
  return out;
}
