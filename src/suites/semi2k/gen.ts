/**
 * OT-based generation of the semi2k suite's preprocessing material:
 * arithmetic Beaver triples over Z_2^64, boolean (AND) triples, and daBits.
 *
 * Security model: semi-honest adversary corrupting up to n-1 of n parties,
 * authenticated private channels, and IKNP OT extension run without the KOS
 * check (src/primitives/ot, semi-honest mode). Every value a party sends is
 * masked by an OT pad that only the other end of the OT can remove, so
 * nothing about the honest parties' shares leaks. A malicious party can make
 * the material wrong (this suite does not detect it; spdz2k does).
 *
 * Arithmetic triples (Gilboa, "Two Party RSA Key Generation", CRYPTO 1999):
 * party i holds random a_i, b_i; c = (sum a_i)(sum b_i) = sum_i a_i b_i +
 * sum_{i != j} a_i b_j. Each cross term a_r b_s is shared by 64 OTs with
 * receiver r choosing the bits a_r[k] and sender s holding pads (m0_k, m1_k):
 * s sends u_k = m0_k - m1_k + 2^k b_s, so r gets m_{c_k} + c_k u_k =
 * m0_k + a_r[k] 2^k b_s, and sum_k over it and -sum_k m0_k (s's part) share
 * a_r b_s. For a pair s < r, r is the receiver for both a_r b_s and b_r a_s
 * (one OT instance per pair). Cost per triple and pair: 128 OTs and 128 words.
 *
 * Boolean triples (the "OT-based multiplication triple" of Asharov, Lindell,
 * Schneider, Zohner, CCS 2013, one random OT per AND and ordered pair): with
 * random pads (x0, x1) and receiver choice c, x_c = x0 ^ c (x0 ^ x1), so
 * lsb(x_c) and lsb(x0) XOR-share c & lsb(x0 ^ x1). With two parties the
 * sender's random bits b_s (and a_s) are lsb(x0 ^ x1) themselves (no
 * message); with more, every receiver must see the same b_s, and s sends
 * b_s ^ lsb(x0 ^ x1).
 *
 * daBits (random bits shared both in Z_2^64 and GF(2), Rotaru and Wood,
 * INDOCRYPT 2019): party i draws a bit beta_i, the GF(2) sharing is
 * (beta_1, ..., beta_n), and the Z_2^64 sharing of beta_1 ^ ... ^ beta_n is
 * built left to right: s <- s + beta_j - 2 s beta_j, where each cross term
 * s^(l) beta_j (l < j) is one OT (Gilboa with a single bit), receiver j.
 * n - 1 stages of two rounds.
 */
import * as ring from '../../arith/ring64.js';
import type { OtReceiverOutput, OtSenderOutput } from '../../primitives/ot/extension.js';
import type { Party } from '../../runtime/party.js';
import { wordsOf } from '../vectors.js';
import type { OtMesh } from './pairwise.js';

export interface ArithTriples {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/** Word-packed boolean triples: 64 independent AND triples per word. */
export interface BitTriples {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/** daBits: the same random bit shared in Z_2^64 (`arith`) and GF(2) (`bool`, 0/1 per byte). */
export interface DaBits {
  readonly arith: BigUint64Array;
  readonly bool: Uint8Array;
}

/** What a generator needs: the party and the OT instances between all pairs. */
export interface GenContext {
  readonly party: Party;
  readonly mesh: OtMesh;
}

/** Largest number of triples (64 OTs each) handled in one OT batch. */
const TRIPLE_CHUNK = 8192;
/** Largest number of bit-triple words (64 OTs each) in one OT batch. */
const BIT_CHUNK = 8192;
/** Largest number of daBits (one OT per pair) in one OT batch. */
const DABIT_CHUNK = 1 << 19;

const POW2 = BigUint64Array.from({ length: 64 }, (_, k) => 1n << BigInt(k));
/** MASK[c] = 0 or all ones: selects a word without a secret-dependent branch. */
const MASK = BigUint64Array.of(0n, (1n << 64n) - 1n);
/** BIT[c] = c as a word. */
const BIT = BigUint64Array.of(0n, 1n);

export function bytesOf(v: BigUint64Array | Uint32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** 64-bit words of an OT message buffer (16 bytes per OT: words 2i, 2i + 1). */
function u64(b: Uint8Array): BigUint64Array {
  if (b.byteOffset % 8 !== 0) b = b.slice();
  return new BigUint64Array(b.buffer, b.byteOffset, b.length >>> 3);
}

/** The 64 bits of each word as 0/1 bytes, least significant first. */
export function wordBits(w: BigUint64Array): Uint8Array {
  const out = new Uint8Array(64 * w.length);
  const v = new Uint32Array(w.buffer, w.byteOffset, 2 * w.length);
  for (let h = 0; h < v.length; h++) {
    const x = v[h]!;
    const o = 32 * h;
    for (let k = 0; k < 32; k++) out[o + k] = (x >>> k) & 1;
  }
  return out;
}

/** Parties other than `me`. */
export function others(party: Party): number[] {
  const out: number[] = [];
  for (let j = 0; j < party.n; j++) if (j !== party.index) out.push(j);
  return out;
}

/**
 * N arithmetic Beaver triples over Z_2^64 by Gilboa's OT multiplication.
 * Rounds: 2 per chunk of 8,192 triples.
 * @throws {ProtocolAbort} when a peer fails or sends a malformed message.
 */
export async function gilboaTriples(
  ctx: GenContext,
  N: number,
  chunk = TRIPLE_CHUNK,
): Promise<ArithTriples> {
  const a = new BigUint64Array(N);
  const b = new BigUint64Array(N);
  const c = new BigUint64Array(N);
  await pipelined(
    N,
    chunk,
    (m) => gilboaChunk(ctx, m),
    (t, off) => {
      a.set(t.a, off);
      b.set(t.b, off);
      c.set(t.c, off);
    },
  );
  return { a, b, c };
}

/**
 * Runs chunks with two in flight, so that one party's work on a chunk (the
 * receiver building its OT matrix) overlaps the other's on the previous one
 * (the sender's corrections). Chunks start in order at every party, and each
 * OT instance serves its calls in call order, so the rounds stay aligned.
 */
export async function pipelined<T>(
  N: number,
  chunk: number,
  run: (m: number) => Promise<T>,
  place: (t: T, off: number) => void,
): Promise<void> {
  let prev: { p: Promise<T>; off: number } | undefined;
  for (let off = 0; off < N; off += chunk) {
    const p = run(Math.min(chunk, N - off));
    p.catch(() => undefined); // awaited below; an earlier failure must not go unhandled
    if (prev) place(await prev.p, prev.off);
    prev = { p, off };
  }
  if (prev) place(await prev.p, prev.off);
}

async function gilboaChunk(ctx: GenContext, N: number): Promise<ArithTriples> {
  const { party, mesh } = ctx;
  const me = party.index;
  const a = party.prg.words(N);
  const b = party.prg.words(N);
  const c = ring.mul(a, b);
  if (party.n === 1 || N === 0) return { a, b, c };
  await mesh.ready();
  // As receiver: the bits of a_r (against b_s), then those of b_r (against a_s).
  const choices = new Uint8Array(128 * N);
  choices.set(wordBits(a));
  choices.set(wordBits(b), 64 * N);
  const count = 128 * N;
  const pairs = mesh.pairs;
  const outs = await Promise.all(
    pairs.map(([s, r]) => mesh.ot(s, r).random(count, r === me ? choices : undefined)),
  );
  const send: Array<Uint8Array | undefined> = new Array(party.n);
  pairs.forEach(([s, r], k) => {
    if (s !== me) return;
    const o = outs[k] as OtSenderOutput;
    const m0 = u64(o.m0);
    const m1 = u64(o.m1);
    const u = new BigUint64Array(count);
    gilboaSend(m0, m1, 0, b, c, u);
    gilboaSend(m0, m1, 64 * N, a, c, u);
    send[r] = bytesOf(u);
  });
  // The u arrays are fresh and never written again: no copy into the round message.
  const got = await party.exchange({
    op: 'semi2k.gilboa',
    send,
    recvFrom: receiveFrom(mesh, me),
    handOver: true,
  });
  pairs.forEach(([s, r], k) => {
    if (r !== me) return;
    const o = outs[k] as OtReceiverOutput;
    const u = wordsOf(got[s] ?? new Uint8Array(0), count, s, party.ids[s]!);
    gilboaReceive(u64(o.m), o.choices, u, c);
  });
  return { a, b, c };
}

/** The parties that send to `me` in the mesh (those with a lower index). */
function receiveFrom(mesh: OtMesh, me: number): number[] {
  return mesh.pairs.filter(([, r]) => r === me).map(([s]) => s);
}

/**
 * Sender side for OTs [off, off + 64 N): writes the corrections
 * u = m0 - m1 + 2^k y[t] and subtracts sum_k m0_k from c[t].
 */
function gilboaSend(
  m0: BigUint64Array,
  m1: BigUint64Array,
  off: number,
  y: BigUint64Array,
  c: BigUint64Array,
  u: BigUint64Array,
): void {
  const N = y.length;
  for (let t = 0; t < N; t++) {
    const yt = y[t]!;
    for (let k = 0; k < 64; k++) {
      const idx = off + 64 * t + k;
      const w = 2 * idx;
      u[idx] = m0[w]! - m1[w]!;
      u[idx] = u[idx]! + yt * POW2[k]!;
      c[t] = c[t]! - m0[w]!;
    }
  }
}

/** Receiver side: adds sum_k (m_{c_k} + c_k u_k) to c, for both halves (t and N + t). */
function gilboaReceive(
  m: BigUint64Array,
  choices: Uint8Array,
  u: BigUint64Array,
  c: BigUint64Array,
): void {
  const N = c.length;
  for (let half = 0; half < 2; half++) {
    for (let t = 0; t < N; t++) {
      for (let k = 0; k < 64; k++) {
        const idx = 64 * (half * N + t) + k;
        c[t] = c[t]! + m[2 * idx]!;
        c[t] = c[t]! + (u[idx]! & MASK[choices[idx]!]!);
      }
    }
  }
}

/**
 * W words of boolean AND triples (64 W triples). Rounds: 1 per chunk with two
 * parties, 2 with more.
 * @throws {ProtocolAbort} when a peer fails or sends a malformed message.
 */
export async function bitTriples(
  ctx: GenContext,
  W: number,
  chunk = BIT_CHUNK,
): Promise<BitTriples> {
  const a = new BigUint64Array(W);
  const b = new BigUint64Array(W);
  const c = new BigUint64Array(W);
  await pipelined(
    W,
    chunk,
    (m) => bitTripleChunk(ctx, m),
    (t, off) => {
      a.set(t.a, off);
      b.set(t.b, off);
      c.set(t.c, off);
    },
  );
  return { a, b, c };
}

/** Bit 0 of each 16-byte OT message, packed 64 per word. */
function lsbWords(m: Uint8Array, W: number): BigUint64Array {
  const out = new BigUint64Array(W);
  const o = new Uint32Array(out.buffer);
  const v = new Uint32Array(m.buffer, m.byteOffset, m.length >>> 2);
  const count = 64 * W;
  for (let i = 0; i < count; i++) o[i >>> 5] = o[i >>> 5]! | ((v[4 * i]! & 1) << (i & 31));
  return out;
}

async function bitTripleChunk(ctx: GenContext, W: number): Promise<BitTriples> {
  const { party, mesh } = ctx;
  const me = party.index;
  const n = party.n;
  let a = party.prg.words(W);
  let b = party.prg.words(W);
  if (n === 1 || W === 0) return { a, b, c: and(a, b) };
  await mesh.ready();
  // As receiver: bits of a_r (against b_s), then of b_r (against a_s).
  const choices = new Uint8Array(128 * W);
  choices.set(wordBits(a));
  choices.set(wordBits(b), 64 * W);
  const count = 128 * W;
  const pairs = mesh.pairs;
  const outs = await Promise.all(
    pairs.map(([s, r]) => mesh.ot(s, r).random(count, r === me ? choices : undefined)),
  );
  const share = new BigUint64Array(W);
  const send: Array<Uint8Array | undefined> = new Array(n);
  pairs.forEach(([s, r], k) => {
    if (s !== me) return;
    const o = outs[k] as OtSenderOutput;
    const x0 = lsbWords(o.m0, 2 * W);
    const x1 = lsbWords(o.m1, 2 * W);
    for (let q = 0; q < 2 * W; q++) {
      share[q % W] = share[q % W]! ^ x0[q]!;
      x1[q] = x1[q]! ^ x0[q]!; // lsb(x0 ^ x1): the bit the receiver's choice selects
    }
    if (n === 2) {
      // The only receiver fixes this party's b (first half) and a (second half): no message.
      b = x1.slice(0, W);
      a = x1.slice(W);
    } else {
      const v = new BigUint64Array(2 * W);
      for (let q = 0; q < W; q++) {
        v[q] = b[q]! ^ x1[q]!;
        v[W + q] = a[q]! ^ x1[W + q]!;
      }
      send[r] = bytesOf(v);
    }
  });
  let got: ReadonlyArray<Uint8Array | undefined> = [];
  if (n > 2) {
    got = await party.exchange({
      op: 'semi2k.bitTriples',
      send,
      recvFrom: receiveFrom(mesh, me),
    });
  }
  pairs.forEach(([s, r], k) => {
    if (r !== me) return;
    const o = outs[k] as OtReceiverOutput;
    const xc = lsbWords(o.m, 2 * W);
    for (let q = 0; q < W; q++) share[q] = share[q]! ^ xc[q]! ^ xc[W + q]!;
    if (n > 2) {
      const v = wordsOf(got[s] ?? new Uint8Array(0), 2 * W, s, party.ids[s]!);
      for (let q = 0; q < W; q++) share[q] = share[q]! ^ (a[q]! & v[q]!) ^ (b[q]! & v[W + q]!);
    }
  });
  const c = and(a, b);
  for (let q = 0; q < W; q++) c[q] = c[q]! ^ share[q]!;
  return { a, b, c };
}

function and(x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let q = 0; q < x.length; q++) out[q] = x[q]! & y[q]!;
  return out;
}

/**
 * N daBits. Rounds: 2 (n - 1) per chunk.
 * @throws {ProtocolAbort} when a peer fails or sends a malformed message.
 */
export async function daBits(ctx: GenContext, N: number): Promise<DaBits> {
  const arith = new BigUint64Array(N);
  const bool = new Uint8Array(N);
  for (let off = 0; off < N; off += DABIT_CHUNK) {
    const m = Math.min(DABIT_CHUNK, N - off);
    const d = await daBitChunk(ctx, m);
    arith.set(d.arith, off);
    bool.set(d.bool, off);
  }
  return { arith, bool };
}

async function daBitChunk(ctx: GenContext, N: number): Promise<DaBits> {
  const { party, mesh } = ctx;
  const me = party.index;
  const n = party.n;
  const bits = new Uint8Array(N);
  const rnd = party.prg.bytes(N);
  for (let i = 0; i < N; i++) bits[i] = rnd[i]! & 1;
  // s = beta_0 to start: party 0's share is its bit, the others' 0.
  const s = new BigUint64Array(N);
  if (me === 0) for (let i = 0; i < N; i++) s[i] = BIT[bits[i]!]!;
  if (n === 1 || N === 0) return { arith: s, bool: bits };
  await mesh.ready();
  for (let j = 1; j < n; j++) {
    // Stage j: s <- s + beta_j - 2 s beta_j, cross terms s^(l) beta_j for l < j by OT.
    const pairs = mesh.pairs.filter(([snd, rcv]) => rcv === j && snd < j);
    const outs = await Promise.all(
      pairs.map(([snd, rcv]) => mesh.ot(snd, rcv).random(N, me === j ? bits : undefined)),
    );
    const op = 'semi2k.daBits';
    if (me < j) {
      const o = outs[pairs.findIndex(([snd]) => snd === me)] as OtSenderOutput;
      const m0 = u64(o.m0);
      const m1 = u64(o.m1);
      const u = new BigUint64Array(N);
      for (let i = 0; i < N; i++) {
        u[i] = m0[2 * i]! - m1[2 * i]!;
        u[i] = u[i]! + s[i]!;
        // s^(l) - 2 * (-m0): this party's part of s - 2 s beta_j.
        s[i] = s[i]! + m0[2 * i]!;
        s[i] = s[i]! + m0[2 * i]!;
      }
      const send: Array<Uint8Array | undefined> = new Array(n);
      send[j] = bytesOf(u);
      await party.exchange({ op, send, recvFrom: [] });
    } else if (me === j) {
      const got = await party.exchange({ op, send: [], recvFrom: pairs.map(([snd]) => snd) });
      const prod = new BigUint64Array(N);
      pairs.forEach(([snd], k) => {
        const o = outs[k] as OtReceiverOutput;
        const m = u64(o.m);
        const u = wordsOf(got[snd] ?? new Uint8Array(0), N, snd, party.ids[snd]!);
        for (let i = 0; i < N; i++) {
          prod[i] = prod[i]! + m[2 * i]!;
          prod[i] = prod[i]! + (u[i]! & MASK[bits[i]!]!);
        }
      });
      for (let i = 0; i < N; i++) {
        s[i] = BIT[bits[i]!]! - prod[i]!;
        s[i] = s[i]! - prod[i]!;
      }
    } else {
      await party.exchange({ op, send: [], recvFrom: [] });
    }
  }
  return { arith: s, bool: bits };
}
