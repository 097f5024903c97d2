/**
 * Two-party PSI from an OPRF built on OT extension, following Kolesnikov,
 * Kumaresan, Rosulek, Trieu, "Efficient Batched Oblivious PRF with
 * Applications to Private Set Intersection", ACM CCS 2016 (KKRT16), with the
 * receiver's set in cuckoo-hash bins as in Pinkas-Schneider-Zohner
 * (src/psi/cuckoo.ts). Semi-honest security; both set sizes are public.
 *
 * The OPRF (KKRT16 section 3, width k = 512 bits). The sender S draws s in
 * {0,1}^512; the receiver R holds one element per bin b (a random dummy in
 * empty bins). 512 random OTs from the project's OT extension (R sends, S
 * chooses s_j) seed 512 column PRGs: R gets both seeds of column j, S the
 * seed for s_j. Per bin R codes its element with the pseudo-random code
 * C(x, i) (i: which cuckoo function placed it) and sends the row
 * u_b = G0_b xor G1_b xor C(x_b, i_b); S gets
 * q_b = G_s,b xor (u_b and s) = G0_b xor (C(x_b, i_b) and s). The OPRF at
 * bin b is F_b(y, i) = H(b, q_b xor (C(y, i) and s)): R knows its value
 * F_b(x_b, i_b) = H(b, G0_b); for any other input the argument of H differs
 * from what R knows by (C(x_b, i_b) xor C(y, i)) and s, a string with at
 * least 128 unknown bits of s except with probability about 2^-96 per pair
 * (codewords are 512 pseudo-random bits, so they differ in fewer than 128
 * positions that rarely).
 *
 * PSI (KKRT16 section 5): S evaluates F at the three bins of each of its
 * elements, F_{h_i(y)}(y, i), and sends the three lists, each in a fresh
 * random order; R compares its own values against them. Outputs are
 * truncated to 40 + log2(n_R) + log2(3 n_S) bits (a false match anywhere has
 * probability below 2^-40). With output 'both', R then sends the positions
 * of the matches in S's shuffled lists, from which S reads off its elements.
 *
 * Instantiation (our choices, in the random-permutation model of fixed-key
 * AES used across the project, src/primitives/hash.ts):
 *  - code: C(x, i)_j = AES_K(x xor tau_{i,j}), j < 4, under a key K the
 *    sender draws per run (a keyed pseudo-random code);
 *  - H(b, v) = xor over the four 128-bit blocks v_j of TMMO(v_j, (4 b + j)),
 *    the tweakable correlation-robust hash of Guo-Katz-Wang-Yu (S&P 2020).
 *    KKRT16 instantiate H with a random oracle; predicting our H needs the
 *    input of every block, i.e. all unknown bits of s in the difference at
 *    once, which is the property their proof uses from H.
 *
 * Messages (R = receiver of the output, S = sender): one hello each way
 * (version, mode, set size, seed), the OT extension's own messages, R -> S
 * the rows u in batches of ROWS bins, S -> R the three value lists in
 * messages of VALUES_PER_MESSAGE, and with
 * output 'both' R -> S the matched positions. Every message is checked for
 * its exact length (src/psi/wire.ts).
 */
import { FIXED_AES_KEY, FixedKeyAes } from '../primitives/hash.js';
import {
  OtExtension,
  type OtReceiverOutput,
  type OtSenderOutput,
} from '../primitives/ot/extension.js';
import { transpose32 } from '../primitives/ot/transpose.js';
import { OtKernels } from '../primitives/ot/wasm.js';
import { Prg } from '../random/prg.js';
import type { Party } from '../runtime/party.js';
import { binCount, binsOf, cuckooInsert, type CuckooTable } from './cuckoo.js';
import { HashIndex } from './items.js';
import {
  checkOwnSize,
  expectLength,
  malformed,
  MAX_SET,
  oversized,
  randomPermutation,
  talk,
  expectHello,
} from './wire.js';

/** Code width in bits (KKRT16's k); four AES blocks. */
export const CODE_BITS = 512;
/** Bins per matrix message: 2^16 rows of 64 bytes, 4 MiB. */
const ROWS = 1 << 16;
/** Sender values per message (at most 16 bytes each: 1 MiB). */
const VALUES_PER_MESSAGE = 1 << 16;
/** Elements per AES batch when evaluating. */
export const CH = 8192;
const VERSION = 1;
const PROTOCOL_KKRT = 1;
/** Domain tag of the OPRF's output hash, in the top word of its tweaks. */
const HASH_DOMAIN = 0x7073_6b6b; // 'pskk'

export type OtPsiOutput = 'receiver' | 'both';
/** The hello's mode: an output of otPsi, or 'shares' (the OPPRF of src/psi/otsum.ts). */
export type OtMode = OtPsiOutput | 'shares';
const MODES: readonly OtMode[] = ['receiver', 'both', 'shares'];

export interface OtPsiOptions {
  /** Index of the party that learns the intersection (the OPRF receiver). */
  readonly receiver: number;
  /** Index of the other party (the OPRF sender). */
  readonly sender: number;
  /** Who learns the intersection: the receiver only (default) or both. */
  readonly output?: OtPsiOutput;
}

export interface OtPsiResult {
  /**
   * Positions (ascending) in this party's digest list of the elements in the
   * intersection; undefined at a party that learns no intersection.
   */
  readonly intersection: Uint32Array | undefined;
  /** The other party's set size (public in this protocol). */
  readonly peerSize: number;
}

/** Output bytes of the OPRF for these set sizes (40 bits of statistical margin). */
export function valueBytes(nR: number, nS: number): number {
  const bits = 40 + Math.log2(Math.max(1, nR)) + Math.log2(Math.max(1, 3 * nS));
  return Math.min(16, Math.ceil(bits / 8));
}

/**
 * Runs the OT-based PSI between `opts.receiver` and `opts.sender` (both call
 * it with their own distinct digests, 16 bytes each, see src/psi/items.ts).
 * @throws {RangeError} on bad local input; {ProtocolAbort} naming the peer on
 *   a malformed or oversized message.
 */
export async function otPsi(
  party: Party,
  digests: Uint8Array,
  opts: OtPsiOptions,
): Promise<OtPsiResult> {
  const me = party.index;
  const { receiver, sender } = opts;
  const output = opts.output ?? 'receiver';
  if (receiver === sender || (me !== receiver && me !== sender))
    throw new RangeError(`otPsi: party ${me} is neither receiver ${receiver} nor sender ${sender}`);
  if (digests.length % 16 !== 0)
    throw new RangeError(`otPsi: digests must be 16 bytes each, got ${digests.length} bytes`);
  const n = digests.length >>> 4;
  checkOwnSize(n);
  return me === receiver
    ? runReceiver(party, sender, digests, n, output)
    : runSender(party, receiver, digests, n, output);
}

// ------------------------------------------------------------------ hello

interface Hello {
  readonly n: number;
  readonly seed: Uint8Array;
}

function helloBytes(output: OtMode, n: number, seed: Uint8Array): Uint8Array {
  const b = new Uint8Array(24);
  b[0] = VERSION;
  b[1] = PROTOCOL_KKRT;
  b[2] = MODES.indexOf(output);
  new DataView(b.buffer).setUint32(4, n, true);
  b.set(seed, 8);
  return b;
}

function parseHello(
  party: Party,
  peer: number,
  output: OtMode,
  msg: Uint8Array | undefined,
): Hello {
  const b = expectHello(party, peer, 'psi.kkrt.hello', msg, 24, VERSION, PROTOCOL_KKRT);
  const theirs = MODES[b[2]!];
  if (theirs !== output)
    throw malformed(
      party,
      peer,
      `psi.kkrt.hello: the peer asked for output '${theirs ?? b[2]}', this party for '${output}'`,
    );
  const n = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
  if (n > MAX_SET)
    throw oversized(
      party,
      peer,
      `psi.kkrt.hello: a set of ${n} elements exceeds the limit of ${MAX_SET}`,
    );
  return { n, seed: b.slice(8, 24) };
}

// ------------------------------------------------------------------ receiver

async function runReceiver(
  party: Party,
  peer: number,
  digests: Uint8Array,
  nR: number,
  output: OtPsiOutput,
): Promise<OtPsiResult> {
  const o = await receiverOprf(party, peer, digests, nR, output);
  if (!o.mine) return { intersection: new Uint32Array(0), peerSize: o.nS };
  const { nS, mine, table, bins, M } = o;

  // The sender's three lists, compared against this party's values.
  const L = valueBytes(nR, nS);
  const theirs = new Uint32Array(4 * 3 * nS);
  const theirBytes = u8(theirs);
  // Indexed as they arrive, while the sender computes the next ones.
  const index = new HashIndex(3 * nS);
  for (let i = 0; i < 3; i++) {
    for (let k0 = 0; k0 < nS; k0 += VALUES_PER_MESSAGE) {
      const c = Math.min(VALUES_PER_MESSAGE, nS - k0);
      const msg = await talk(party, peer, 'psi.kkrt.values', undefined, true);
      unpackValues(
        expectLength(party, peer, 'psi.kkrt.values', msg, L * c),
        theirBytes,
        L,
        i * nS + k0,
        c,
      );
      index.insertRange(theirs, i * nS + k0, i * nS + k0 + c);
    }
  }
  truncateRows(mine, M, L);
  const { hits, positions } = match(index, mine, table, bins);
  if (output === 'both') await talk(party, peer, 'psi.kkrt.result', u8(positions), false);
  return { intersection: hits.sort(), peerSize: nS };
}

/** The receiver's side of the batched OPRF: its value H(b, G0_b) in every bin (4 words each). */
export interface ReceiverOprf {
  readonly nS: number;
  /** Undefined when either set is empty (nothing was run). */
  readonly mine: Uint32Array | undefined;
  readonly table: CuckooTable;
  readonly bins: number;
  readonly M: number;
}

/** Cuckoo hashing, the hello, the OT extension and the OPRF rows: KKRT16 section 3. */
export async function receiverOprf(
  party: Party,
  peer: number,
  digests: Uint8Array,
  nR: number,
  output: OtMode,
): Promise<ReceiverOprf> {
  const crypto = party.crypto;
  const bins = binCount(nR);
  const M = roundUp(bins, 64);
  // Cuckoo hashing before anything is sent: a failed seed never leaves.
  let seed: Uint8Array = new Uint8Array(16);
  let table: CuckooTable | undefined;
  const rnd = new Uint32Array(4096);
  let used = rnd.length;
  const random = () => {
    if (used === rnd.length) {
      party.prg.fill(new Uint8Array(rnd.buffer));
      used = 0;
    }
    return rnd[used++]!;
  };
  for (let attempt = 0; !table; attempt++) {
    if (attempt === 8) throw new Error('otPsi: cuckoo hashing failed 8 times (should not happen)');
    seed = party.prg.bytes(16);
    table = cuckooInsert(binsOf(crypto, seed, digests, bins), nR, bins, random);
  }
  const got = await talk(party, peer, 'psi.kkrt.hello', helloBytes(output, nR, seed), true);
  const { n: nS, seed: codeKey } = parseHello(party, peer, output, got);
  if (nR === 0 || nS === 0) return { nS, mine: undefined, table: table!, bins, M };

  // 512 random OTs: this party sends, the peer chooses s.
  const ot = await OtExtension.create(party, party.index, peer, { check: false });
  const seeds = (await ot.random(CODE_BITS)) as OtSenderOutput;
  const prg0 = columnPrgs(seeds.m0, party);
  const prg1 = columnPrgs(seeds.m1, party);

  const code = new FixedKeyAes(crypto, codeKey);
  const hash = new OprfHash(crypto);
  const x = new Uint32Array(digests.slice().buffer);
  const mine = new Uint32Array(4 * M); // H(b, G0_b) per bin
  const tr = new Transposer();
  const cols0 = new Uint32Array(16 * ROWS);
  const cols1 = new Uint32Array(16 * ROWS);
  const rows = new Uint32Array(16 * ROWS);
  const t = new Uint32Array(16 * ROWS);
  const binIdx = new Uint32Array(ROWS);
  for (let b0 = 0; b0 < M; b0 += ROWS) {
    const k = Math.min(ROWS, M - b0);
    const W = k >>> 5;
    for (let j = 0; j < CODE_BITS; j++) {
      prg0[j]!.fill(u8(cols0.subarray(j * W, (j + 1) * W)));
      prg1[j]!.fill(u8(cols1.subarray(j * W, (j + 1) * W)));
    }
    xorInto(cols1, cols0, CODE_BITS * W);
    tr.run(cols1, rows, k);
    // Codewords of this batch's bins (random inputs for empty bins), xored in.
    const inputs = t; // reused as scratch before t is needed
    party.prg.fill(u8(inputs.subarray(0, 16 * k)));
    receiverInputs(x, table, bins, b0, k, inputs);
    code.permute(inputs, inputs, 4 * k);
    xorInto(rows, inputs, 16 * k);
    await talk(party, peer, 'psi.kkrt.matrix', u8(rows.subarray(0, 16 * k)).slice(), false);
    tr.run(cols0, t, k);
    for (let r = 0; r < k; r++) binIdx[r] = b0 + r;
    hash.hash(t, binIdx, k, mine.subarray(4 * b0, 4 * (b0 + k)));
  }

  return { nS, mine, table: table!, bins, M };
}

// ------------------------------------------------------------------ sender

async function runSender(
  party: Party,
  peer: number,
  digests: Uint8Array,
  nS: number,
  output: OtPsiOutput,
): Promise<OtPsiResult> {
  const { nR, ev } = await senderOprf(party, peer, digests, nS, output);
  if (!ev)
    return { intersection: output === 'both' ? new Uint32Array(0) : undefined, peerSize: nR };

  // F_{h_i(y)}(y, i) for every element and i < 3, each list shuffled.
  const L = valueBytes(nR, nS);
  const at: Uint32Array[] = [];
  for (let i = 0; i < 3; i++) {
    const perm = randomPermutation(nS, (o) => party.prg.fill(o));
    at.push(perm);
    for (let m0 = 0; m0 < nS; m0 += VALUES_PER_MESSAGE) {
      const mEnd = Math.min(nS, m0 + VALUES_PER_MESSAGE);
      const list = new Uint8Array(L * (mEnd - m0));
      for (let k0 = m0; k0 < mEnd; k0 += CH) {
        const c = Math.min(CH, mEnd - k0);
        evalChunk(ev, perm, k0, c, i);
        packValues(u8(ev.out), list, L, k0 - m0, c);
      }
      await talk(party, peer, 'psi.kkrt.values', list, false);
    }
  }
  if (output !== 'both') return { intersection: undefined, peerSize: nR };

  const maxHits = Math.min(nR, nS);
  const msg = await talk(party, peer, 'psi.kkrt.result', undefined, true);
  if (!msg || msg.length % 4 !== 0)
    throw malformed(
      party,
      peer,
      `psi.kkrt.result: ${msg?.length ?? 0} bytes is not a list of 32-bit positions`,
    );
  if (msg.length > 4 * maxHits)
    throw oversized(
      party,
      peer,
      `psi.kkrt.result: ${msg.length / 4} matches for sets of ${nR} and ${nS}`,
    );
  const pos = words(msg);
  const seen = new Uint8Array(nS);
  const mineHits = new Uint32Array(pos.length);
  for (let k = 0; k < pos.length; k++) {
    const p = pos[k]!;
    if (p >= 3 * nS) throw malformed(party, peer, `psi.kkrt.result: position ${p} out of range`);
    const e = at[Math.floor(p / nS)]![p % nS]!;
    if (seen[e]) throw malformed(party, peer, `psi.kkrt.result: element matched twice`);
    seen[e] = 1;
    mineHits[k] = e;
  }
  return { intersection: mineHits.sort(), peerSize: nR };
}

/** The sender's side of the batched OPRF: what it needs to evaluate F_{h_i(y)}(y, i) (see evalChunk). */
export interface SenderOprf {
  readonly nR: number;
  /** Undefined when either set is empty (nothing was run). */
  readonly ev: SenderEval | undefined;
}

/** The hello, the OT extension and the rows q_b: KKRT16 section 3, the sender's side. */
export async function senderOprf(
  party: Party,
  peer: number,
  digests: Uint8Array,
  nS: number,
  output: OtMode,
): Promise<SenderOprf> {
  const crypto = party.crypto;
  const codeKey = party.prg.bytes(16);
  const got = await talk(party, peer, 'psi.kkrt.hello', helloBytes(output, nS, codeKey), true);
  const { n: nR, seed } = parseHello(party, peer, output, got);
  if (nR === 0 || nS === 0) return { nR, ev: undefined };
  const bins = binCount(nR);
  const M = roundUp(bins, 64);

  const s = new Uint32Array(16);
  crypto.randomFill(u8(s));
  const choices = new Uint8Array(CODE_BITS);
  for (let j = 0; j < CODE_BITS; j++) choices[j] = (s[j >>> 5]! >>> (j & 31)) & 1;
  const ot = await OtExtension.create(party, peer, party.index, { check: false });
  const seeds = (await ot.random(CODE_BITS, choices)) as OtReceiverOutput;
  const prgs = columnPrgs(seeds.m, party);

  // q_b = G_s,b xor (u_b and s) for every bin.
  const q = new Uint32Array(16 * M);
  const tr = new Transposer();
  const cols = new Uint32Array(16 * ROWS);
  for (let b0 = 0; b0 < M; b0 += ROWS) {
    const k = Math.min(ROWS, M - b0);
    const W = k >>> 5;
    const msg = await talk(party, peer, 'psi.kkrt.matrix', undefined, true);
    const u = words(expectLength(party, peer, 'psi.kkrt.matrix', msg, 64 * k));
    for (let j = 0; j < CODE_BITS; j++) prgs[j]!.fill(u8(cols.subarray(j * W, (j + 1) * W)));
    const qb = q.subarray(16 * b0, 16 * (b0 + k));
    tr.run(cols, qb, k);
    xorMasked(qb, u, s, k);
  }

  const ev: SenderEval = {
    y: new Uint32Array(digests.slice().buffer),
    q,
    s,
    h: binsOf(crypto, seed, digests, bins),
    code: new FixedKeyAes(crypto, codeKey),
    hash: new OprfHash(crypto),
    v: new Uint32Array(16 * CH),
    binIdx: new Uint32Array(CH),
    out: new Uint32Array(4 * CH),
  };
  return { nR, ev };
}

// ------------------------------------------------------------------ kernels
// Hot loops live in small plain functions: V8 optimises them far better than
// the same loops inside the long async protocol functions (measured: the
// sender's loops took 6 s at 2^20 inline).

/** a[w] ^= b[w] for w < n. */
function xorInto(a: Uint32Array, b: Uint32Array, n: number): void {
  for (let w = 0; w < n; w++) a[w] = a[w]! ^ b[w]!;
}

/** q_r ^= u_r and s, for k rows of 16 words. */
function xorMasked(q: Uint32Array, u: Uint32Array, s: Uint32Array, k: number): void {
  for (let o = 0; o < 16 * k; o += 16)
    for (let w = 0; w < 16; w++) q[o + w] = q[o + w]! ^ (u[o + w]! & s[w]!);
}

export interface SenderEval {
  readonly y: Uint32Array;
  readonly q: Uint32Array;
  readonly s: Uint32Array;
  readonly h: Uint32Array;
  readonly code: FixedKeyAes;
  readonly hash: OprfHash;
  readonly v: Uint32Array;
  readonly binIdx: Uint32Array;
  readonly out: Uint32Array;
}

/** OPRF values of c elements (in list order perm[k0..k0 + c)) under hash function i, into ev.out. */
export function evalChunk(
  ev: SenderEval,
  perm: Uint32Array,
  k0: number,
  c: number,
  i: number,
): void {
  const { v } = ev;
  for (let r = 0; r < c; r++) codeInputs(ev.y, perm[k0 + r]!, i, v, r);
  ev.code.permute(v, v, 4 * c);
  senderRows(v, ev.q, ev.s, ev.h, perm, k0, c, i, ev.binIdx);
  ev.hash.hash(v, ev.binIdx, c, ev.out);
}

/** Sender rows of a chunk: v_r = q_{h_i(y)} xor (C(y, i) and s), with the bins noted. */
function senderRows(
  v: Uint32Array,
  q: Uint32Array,
  s: Uint32Array,
  h: Uint32Array,
  perm: Uint32Array,
  k0: number,
  c: number,
  i: number,
  binIdx: Uint32Array,
): void {
  for (let r = 0; r < c; r++) {
    const b = h[3 * perm[k0 + r]! + i]!;
    binIdx[r] = b;
    const o = 16 * r;
    const qo = 16 * b;
    for (let w = 0; w < 16; w++) v[o + w] = q[qo + w]! ^ (v[o + w]! & s[w]!);
  }
}

/** The first L bytes of c 16-byte values into `list`, from entry k0 on. */
function packValues(out: Uint8Array, list: Uint8Array, L: number, k0: number, c: number): void {
  for (let r = 0; r < c; r++) {
    const o = L * (k0 + r);
    const p = 16 * r;
    for (let z = 0; z < L; z++) list[o + z] = out[p + z]!;
  }
}

/** L-byte values from a message into 16-byte zero-padded slots, from slot k0 on. */
function unpackValues(msg: Uint8Array, into: Uint8Array, L: number, k0: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const o = 16 * (k0 + k);
    const p = L * k;
    for (let z = 0; z < L; z++) into[o + z] = msg[p + z]!;
  }
}

/** Code inputs of a batch's occupied bins (empty ones keep their random fill). */
function receiverInputs(
  x: Uint32Array,
  table: CuckooTable,
  bins: number,
  b0: number,
  k: number,
  inputs: Uint32Array,
): void {
  for (let r = 0; r < k; r++) {
    const b = b0 + r;
    const e = b < bins ? table.item[b]! : -1;
    if (e >= 0) codeInputs(x, e, table.which[b]!, inputs, r);
  }
}

/** The receiver's matches: its elements whose value is in the index, and where. */
function match(
  index: HashIndex,
  mine: Uint32Array,
  table: CuckooTable,
  bins: number,
): { hits: Uint32Array; positions: Uint32Array } {
  const hits = new Uint32Array(bins);
  const positions = new Uint32Array(bins);
  let n = 0;
  for (let b = 0; b < bins; b++) {
    const e = table.item[b]!;
    if (e < 0) continue;
    const pos = index.find(mine, b);
    if (pos < 0) continue;
    hits[n] = e;
    positions[n++] = pos;
  }
  return { hits: hits.slice(0, n), positions: positions.slice(0, n) };
}

/**
 * The four code inputs of element e placed by hash function i, into rows
 * [16 r, 16 r + 16) of `out`: x_e xor tau_{i,j}, tau_{i,j} = 4 i + j + 1 in
 * the low word.
 */
function codeInputs(x: Uint32Array, e: number, i: number, out: Uint32Array, r: number): void {
  const a = x[4 * e]!;
  const b = x[4 * e + 1]!;
  const c = x[4 * e + 2]!;
  const d = x[4 * e + 3]!;
  for (let j = 0; j < 4; j++) {
    const o = 16 * r + 4 * j;
    out[o] = a ^ (4 * i + j + 1);
    out[o + 1] = b;
    out[o + 2] = c;
    out[o + 3] = d;
  }
}

/** H(b, v) = xor_j TMMO(v_j, (4 b + j, 0, 0, domain)), batched; 16 words in, 4 out per row. */
class OprfHash {
  readonly #pi: FixedKeyAes;
  #p = new Uint32Array(0);
  #y = new Uint32Array(0);

  constructor(provider: Party['crypto']) {
    this.#pi = new FixedKeyAes(provider, FIXED_AES_KEY);
  }

  hash(v: Uint32Array, bins: Uint32Array, n: number, out: Uint32Array): void {
    if (this.#p.length < 16 * n) {
      this.#p = new Uint32Array(16 * n);
      this.#y = new Uint32Array(16 * n);
    }
    const p = this.#p;
    const y = this.#y;
    this.#pi.permute(v, p, 4 * n);
    for (let r = 0; r < n; r++) {
      const t = 4 * bins[r]!;
      for (let j = 0; j < 4; j++) {
        const o = 16 * r + 4 * j;
        y[o] = p[o]! ^ (t + j);
        y[o + 1] = p[o + 1]!;
        y[o + 2] = p[o + 2]!;
        y[o + 3] = p[o + 3]! ^ HASH_DOMAIN;
      }
    }
    this.#pi.permute(y, y, 4 * n);
    for (let r = 0; r < n; r++) {
      const o = 16 * r;
      for (let w = 0; w < 4; w++)
        out[4 * r + w] =
          y[o + w]! ^
          p[o + w]! ^
          y[o + 4 + w]! ^
          p[o + 4 + w]! ^
          y[o + 8 + w]! ^
          p[o + 8 + w]! ^
          y[o + 12 + w]! ^
          p[o + 12 + w]!;
    }
  }
}

/** Keeps the first L bytes of each 16-byte row, zeroing the rest (so rows compare as truncated values). */
function truncateRows(rows: Uint32Array, n: number, L: number): void {
  if (L === 16) return;
  const b = u8(rows);
  for (let r = 0; r < n; r++) b.fill(0, 16 * r + L, 16 * r + 16);
}

/**
 * 512-column transposition through the OT extension's WebAssembly kernel
 * (four 128-column transposes, then the four 16-byte pieces of each row
 * interleaved), falling back to `transpose512` without WebAssembly SIMD.
 */
class Transposer {
  readonly #k = OtKernels.create();

  /** Rows (k x 16 words) from 512 columns of k bits (k a multiple of 64 for the kernel). */
  run(cols: Uint32Array, rows: Uint32Array, k: number): void {
    const K = this.#k;
    if (!K || k % 64 !== 0) return transpose512(cols, rows, k);
    const W = k >>> 5;
    K.ensure(CODE_BITS * 4 * W + 64 * k);
    const mem = new Uint32Array(K.buffer);
    mem.set(cols.subarray(0, CODE_BITS * W), 0);
    const rowsAt = CODE_BITS * 4 * W;
    for (let g = 0; g < 4; g++) K.transpose(g * 128 * 4 * W, rowsAt + g * 16 * k, k);
    interleave(mem, rowsAt >>> 2, rows, k);
  }
}

/** rows[16 r + 4 g + w] = piece g's row r word w (pieces of 4 k words each, from word `at`). */
function interleave(mem: Uint32Array, at: number, rows: Uint32Array, k: number): void {
  for (let g = 0; g < 4; g++) {
    const base = at + 4 * k * g;
    for (let r = 0; r < k; r++) {
      const o = 16 * r + 4 * g;
      const i = base + 4 * r;
      rows[o] = mem[i]!;
      rows[o + 1] = mem[i + 1]!;
      rows[o + 2] = mem[i + 2]!;
      rows[o + 3] = mem[i + 3]!;
    }
  }
}

/**
 * Transposes 512 columns of k bits (column j at words [j W, (j + 1) W),
 * W = k / 32) into k rows of 16 words, by 32 x 32 blocks (see
 * src/primitives/ot/transpose.ts for the layout and the kernel).
 */
export function transpose512(cols: Uint32Array, rows: Uint32Array, k: number): void {
  const W = k >>> 5;
  const a = new Int32Array(32);
  for (let w = 0; w < W; w++) {
    for (let g = 0; g < 16; g++) {
      const base = 32 * g * W + w;
      for (let r = 0; r < 32; r++) a[r] = cols[base + r * W]!;
      transpose32(a);
      const o = 512 * w + g;
      for (let r = 0; r < 32; r++) rows[o + 16 * r] = a[r]!;
    }
  }
}

function columnPrgs(seeds: Uint8Array, party: Party): Prg[] {
  return Array.from(
    { length: CODE_BITS },
    (_, j) => new Prg(seeds.slice(16 * j, 16 * j + 16), party.crypto),
  );
}

function u8(w: Uint32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, 4 * w.length);
}

function words(b: Uint8Array): Uint32Array {
  if (b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  return new Uint32Array(b.slice().buffer);
}

function roundUp(n: number, k: number): number {
  return Math.ceil(n / k) * k;
}
