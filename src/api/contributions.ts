/**
 * Inputs from contributors who are not parties: a survey respondent, an employer
 * submitting a payroll table, a hospital that hands its figures to compute nodes and
 * goes offline. The contributor splits each value additively into one part per compute
 * node, modulo 2^64, and seals part i to node i with HPKE (RFC 9180, base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM; @hpke/core). Any one node's part is uniform
 * and says nothing about the value.
 *
 * The nodes then run `collectContributions` together:
 *   1. they check they hold the same list of envelopes (a digest, compared in MPC);
 *   2. each opens its own parts and announces which it could not open (public);
 *   3. each inputs its parts, and the value is their sum inside MPC (one round);
 *   4. every value is range-checked against its field's declared [min, max] inside MPC,
 *      and only whether a whole contribution passed is revealed;
 *   5. the contributions that passed become secret vectors, one per field, for any
 *      program (sums, medians, regressions).
 * A malicious contributor can choose any parts; whatever it sends is some value modulo
 * 2^64, and step 4 keeps only those within the declared range, so it can shift a result
 * at most as an honest contributor with extreme values could. Dropped contributions are
 * counted by reason (malformed, duplicate, undecryptable, out of range); which
 * contributions were dropped is public to the nodes, nothing else about them is.
 *
 * Security model: that of the suite the nodes run (rep3: semi-honest nodes, honest
 * majority); contributors may be malicious. Suites over Z_2^64 with full-width comparisons
 * (rep3, semi2k, spdz2k, plaintext), whose arithmetic wraps like the parts', or over a
 * prime field wide enough to reduce the parts' sum modulo 2^64 by comparisons (shamir:
 * p = 2^127 - 1, comparisons up to 81..85 bits), for programs that need more than 64 bits.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Shares, Suite } from '../suites/suite.js';
import { partiesWithOtherDigest } from './agree.js';
import type { Session } from './session.js';
import type { SecretInt } from './secret.js';
import { int } from './types.js';

const INFO = new TextEncoder().encode('entente contribution v1');

/** What every contribution to a collection holds: named integer fields with their ranges. */
export interface ContributionSchema {
  /** The collection's name; sealed parts are bound to it. */
  readonly collection: string;
  readonly fields: readonly { readonly name: string; readonly min: number; readonly max: number }[];
}

/** One part, sealed to one node: HPKE's encapsulated key and ciphertext, base64url. */
export interface SealedPart {
  readonly enc: string;
  readonly ct: string;
}

/** What a contributor sends: an id (unique in the collection) and one sealed part per node. */
export interface Contribution {
  readonly id: string;
  readonly parts: readonly SealedPart[];
}

export type RejectReason = 'malformed' | 'duplicate' | 'undecryptable' | 'out of range';

export interface Collected {
  /** One secret vector per field, over the accepted contributions, in `accepted` order. */
  readonly values: Readonly<Record<string, SecretInt>>;
  /** Ids of the accepted contributions. */
  readonly accepted: readonly string[];
  /** Every dropped contribution with its reason (public to the nodes). */
  readonly rejected: readonly { readonly id: string; readonly reason: RejectReason }[];
  readonly counts: Readonly<Record<RejectReason, number>>;
}

/** A problem with the schema, the keys or the nodes' lists; never carries a value. */
export class ContributionError extends Error {
  override readonly name = 'ContributionError';
}

// @hpke/core's X25519 runs on WebCrypto (Node 20, current browsers): about 1.8 times
// faster to open than hpke-js's portable X25519, and the same RFC 9180 suite. Loaded
// on first use: it is some 40 modules, which every program importing `entente` (and
// every party process) would otherwise load and most never use.
const hpke = async () => {
  const { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } = await import('@hpke/core');
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
};

/** A compute node's key pair for contributions: 32-byte X25519 keys. */
export async function contributionKeyPair(): Promise<{
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}> {
  const s = await hpke();
  const kp = await s.kem.generateKeyPair();
  return {
    publicKey: new Uint8Array(await s.kem.serializePublicKey(kp.publicKey)),
    privateKey: new Uint8Array(await s.kem.serializePrivateKey(kp.privateKey)),
  };
}

/** @throws {ContributionError} for a schema that cannot be checked exactly. */
export function checkSchema(schema: ContributionSchema): void {
  if (schema.fields.length === 0) throw new ContributionError('schema: no fields');
  const names = new Set<string>();
  for (const f of schema.fields) {
    if (names.has(f.name)) throw new ContributionError(`schema: field '${f.name}' appears twice`);
    names.add(f.name);
    if (!Number.isSafeInteger(f.min) || !Number.isSafeInteger(f.max) || f.min > f.max)
      throw new ContributionError(
        `schema: field '${f.name}' needs safe integers (|x| <= 2^53 - 1) with min <= max, got [${f.min}, ${f.max}]`,
      );
  }
}

function aad(schema: ContributionSchema, id: string, node: number, nodes: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([schema.collection, id, node, nodes, schema.fields.length]),
  );
}

// base64url without padding (RFC 4648 section 5), by table: the envelopes of a study
// with many owners hold megabytes of it, and the nodes decode every part twice (screen,
// then open); atob plus a per-character callback took longer than the HPKE opens' AES.
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64URL.charCodeAt(i)] = i;
  return t;
})();

function b64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    // 2, 3 or 4 characters for the last 1, 2 or 3 bytes.
    const chars = Math.min(4, Math.ceil(((b.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) s += B64URL[(n >> (18 - 6 * j)) & 63];
  }
  return s;
}

/** The bytes of a base64url text, or undefined for any other text (as atob's forgiving decode). */
function unb64(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_VALUE[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * A contributor's side: splits `values` (one per field, in schema order) into one
 * additive part per node and seals each to its node's public key. Runs in browsers.
 * @throws {ContributionError} naming the field whose value is outside its range (an
 *   honest client checks before sending; the nodes check again inside MPC).
 */
export async function contribute(
  schema: ContributionSchema,
  nodeKeys: readonly Uint8Array[],
  id: string,
  values: readonly (number | bigint)[],
): Promise<Contribution> {
  checkSchema(schema);
  if (nodeKeys.length < 2) throw new ContributionError('contribute: need at least two node keys');
  if (values.length !== schema.fields.length)
    throw new ContributionError(
      `contribute: expected ${schema.fields.length} values, got ${values.length}`,
    );
  const k = values.length;
  const x = new BigUint64Array(k);
  values.forEach((v, j) => {
    const f = schema.fields[j]!;
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new ContributionError(`contribute: field '${f.name}' is not an integer`);
    const b = BigInt(v);
    if (b < BigInt(f.min) || b > BigInt(f.max))
      throw new ContributionError(`contribute: field '${f.name}' is outside [${f.min}, ${f.max}]`);
    x[j] = BigInt.asUintN(64, b);
  });
  return sealParts(schema, nodeKeys, id, x);
}

/**
 * Splits 64-bit words into one additive part per node (parts 1..n-1 uniform from the
 * CSPRNG, part 0 making the sum) and seals each to its node. No range check: this is
 * also what a malicious client can send, so the tests use it to forge contributions.
 */
export async function sealParts(
  schema: ContributionSchema,
  nodeKeys: readonly Uint8Array[],
  id: string,
  x: BigUint64Array,
): Promise<Contribution> {
  const k = x.length;
  const parts: BigUint64Array[] = [];
  const first = x.slice();
  for (let i = 1; i < nodeKeys.length; i++) {
    const r = new BigUint64Array(k);
    globalThis.crypto.getRandomValues(r);
    for (let j = 0; j < k; j++) first[j] = BigInt.asUintN(64, first[j]! - r[j]!);
    parts.push(r);
  }
  parts.unshift(first);
  const s = await hpke();
  const sealed = await Promise.all(
    parts.map(async (p, i) => {
      const recipientPublicKey = await s.kem.deserializePublicKey(nodeKeys[i]!).catch(() => {
        throw new ContributionError(`node key ${i} is not an X25519 public key`);
      });
      const out = await s.seal(
        { recipientPublicKey, info: INFO },
        new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
        aad(schema, id, i, nodeKeys.length),
      );
      return { enc: b64(new Uint8Array(out.enc)), ct: b64(new Uint8Array(out.ct)) };
    }),
  );
  return { id, parts: sealed };
}

/**
 * Node `node`'s part of a contribution, or undefined when it cannot be opened with
 * `privateKey` (tampered, sealed to another node or collection, wrong length).
 */
export async function openPart(
  schema: ContributionSchema,
  privateKey: Uint8Array,
  c: Contribution,
  node: number,
  nodes: number,
): Promise<BigUint64Array | undefined> {
  return (await partOpener(schema, privateKey, node, nodes))(c);
}

/**
 * openPart for many contributions with one key: the key is deserialized once (per part,
 * it was a quarter of the nodes' time with 100 owners' 5,100 envelopes).
 */
async function partOpener(
  schema: ContributionSchema,
  privateKey: Uint8Array,
  node: number,
  nodes: number,
): Promise<(c: Contribution) => Promise<BigUint64Array | undefined>> {
  const h = await hpke();
  const recipientKey = await h.kem.deserializePrivateKey(privateKey).catch(() => {
    throw new ContributionError(`node ${node}: the private key is not an X25519 key`);
  });
  return async (c) => {
    const part = c.parts[node];
    const enc = part && unb64(part.enc);
    const ct = part && unb64(part.ct);
    if (!enc || !ct) return undefined;
    try {
      const pt = new Uint8Array(
        await h.open({ recipientKey, enc, info: INFO }, ct, aad(schema, c.id, node, nodes)),
      );
      return pt.length === 8 * schema.fields.length
        ? new BigUint64Array(pt.slice().buffer)
        : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Public checks on the envelope list, the same at every node. */
function screen(
  list: readonly Contribution[],
  nodes: number,
): { kept: Contribution[]; rejected: { id: string; reason: RejectReason }[] } {
  const seen = new Set<string>();
  const kept: Contribution[] = [];
  const rejected: { id: string; reason: RejectReason }[] = [];
  for (const c of list) {
    const id = typeof c?.id === 'string' ? c.id : '';
    const wellFormed =
      id !== '' &&
      id.length <= 256 &&
      Array.isArray(c.parts) &&
      c.parts.length === nodes &&
      c.parts.every((p) => unb64(p?.enc) !== undefined && unb64(p?.ct) !== undefined);
    if (!wellFormed) rejected.push({ id: id || '(no id)', reason: 'malformed' });
    else if (seen.has(id)) rejected.push({ id, reason: 'duplicate' });
    else {
      seen.add(id);
      kept.push(c);
    }
  }
  return { kept, rejected };
}

function listDigest(list: readonly Contribution[]): Uint8Array {
  return sha256(new TextEncoder().encode(JSON.stringify(list.map((c) => [c.id, c.parts]))));
}

/**
 * The nodes' side: every party of `s` calls it with the same envelope list and its own
 * private key (party i opens part i). See the module comment for the steps; `progress`
 * hears when the parts are opened and when the range checks are done (counts only).
 * @throws {ContributionError} if the nodes' lists differ or the suite is not a ring suite.
 */
export async function collectContributions(
  s: Session,
  schema: ContributionSchema,
  list: readonly Contribution[],
  privateKey: Uint8Array,
  progress: (message: string) => void = () => undefined,
): Promise<Collected> {
  checkSchema(schema);
  const suite = s.suite;
  const n = s.parties.length;
  const ring = suite.capacity === 64 && suite.compareCapacity >= 64;
  // In a field, the parts' sum exceeds 2^64 by a multiple of it, removed by comparisons
  // of values below (n + 1) 2^64 in magnitude.
  const reduceBound = 66 + Math.ceil(Math.log2(n + 1));
  const field = suite.capacity > reduceBound && suite.compareCapacity >= reduceBound;
  if (!ring && !field)
    throw new ContributionError(
      `collectContributions: needs a suite over Z_2^64 (rep3, semi2k, spdz2k) or a wide prime field (shamir), not ${suite.name}`,
    );
  const me = s.indexOf(s.me);
  const k = schema.fields.length;
  const { kept, rejected } = screen(list, n);

  // 1. The same list at every node (digests are public).
  const differ = await partiesWithOtherDigest(s, listDigest(list));
  if (differ.length > 0)
    throw new ContributionError(
      `nodes ${differ.join(', ')} hold a different list of contributions than ${s.me}; nothing was collected`,
    );

  // 2. Open this node's parts; which could not be opened is public.
  const mine = new BigUint64Array(kept.length * k);
  const open = await partOpener(schema, privateKey, me, n);
  const opened = await Promise.all(
    kept.map(async (c, j) => {
      const part = await open(c);
      if (part) mine.set(part, j * k);
      return part ? 1 : 0;
    }),
  );
  progress(`opened ${kept.length} ${schema.collection} envelopes`);
  const okAll = await s
    .concat(s.parties.map((p) => s.input(p, int(2), p === s.me ? opened : kept.length)))
    .revealNumbers();
  const decryptable = kept.map((_, j) =>
    s.parties.every((_, i) => okAll[i * kept.length + j] === 1),
  );
  kept.forEach((c, j) => {
    if (!decryptable[j]) rejected.push({ id: c.id, reason: 'undecryptable' });
  });
  const candidates = kept.filter((_, j) => decryptable[j]);
  const m = candidates.length;
  const cand = kept.flatMap((_, j) => (decryptable[j] ? [j] : []));
  const myParts = new BigInt64Array(m * k);
  cand.forEach((j, t) => {
    for (let f = 0; f < k; f++) myParts[t * k + f] = BigInt.asIntN(64, mine[j * k + f]!);
  });

  const values: Record<string, SecretInt> = {};
  if (m === 0) {
    for (const f of schema.fields) values[f.name] = s.constant(int(fieldBits(f)), []);
    return result(values, [], rejected);
  }

  // 3. The values: the sum of every node's parts, modulo 2^64.
  const inputs = await Promise.all(
    s.parties.map((_, i) => suite.input(i, i === me ? myParts : undefined, m * k, 64)),
  );
  const sum = inputs.slice(1).reduce((a, b) => suite.add(a, b), inputs[0]!);

  // 4. Range checks: y = x - min is valid iff 0 <= y <= max - min as an unsigned 64-bit
  // number, i.e. y's top bit is 0 and y - (max - min) - 1 < 0, both exact for any x
  // (over Z_2^64 the top bit is the sign; in a field y is already in [0, 2^64)).
  const minus = new BigInt64Array(m * k);
  const span = new BigInt64Array(m * k);
  for (let t = 0; t < m; t++)
    schema.fields.forEach((f, j) => {
      minus[t * k + j] = BigInt.asIntN(64, -BigInt(f.min));
      span[t * k + j] = BigInt.asIntN(64, -(BigInt(f.max) - BigInt(f.min) + 1n));
    });
  // In a field, y is reduced after the shift, so that a negative value's y is exact too.
  const y = field
    ? await reduceMod64(suite, suite.addPublic(sum, minus), n, reduceBound)
    : suite.addPublic(sum, minus);
  const x = field ? suite.sub(y, suite.constant(minus)) : sum;
  const bound = field ? reduceBound : 64;
  const lt = await suite.ltz(suite.concat([y, suite.addPublic(y, span)]), bound);
  const top = suite.gather(lt, range(0, m * k));
  const below = suite.gather(lt, range(m * k, 2 * m * k));
  // valid = (1 - top) * below = below - top * below
  let ok = suite.sub(below, await suite.mul(top, below));
  // A contribution passes when all its fields do: a product tree over the k fields.
  let width = k;
  while (width > 1) {
    const half = Math.floor(width / 2);
    const left: number[] = [];
    const right: number[] = [];
    const carry: number[] = [];
    for (let t = 0; t < m; t++) {
      for (let j = 0; j < half; j++) {
        left.push(t * width + 2 * j);
        right.push(t * width + 2 * j + 1);
      }
      if (width % 2 === 1) carry.push(t * width + width - 1);
    }
    const prod = await suite.mul(
      suite.gather(ok, Uint32Array.from(left)),
      suite.gather(ok, Uint32Array.from(right)),
    );
    const next = Math.ceil(width / 2);
    if (width % 2 === 1) {
      // Interleave: each contribution's half products, then its carried field.
      const idx: number[] = [];
      for (let t = 0; t < m; t++) {
        for (let j = 0; j < half; j++) idx.push(t * half + j);
        idx.push(m * half + t);
      }
      ok = suite.gather(
        suite.concat([prod, suite.gather(ok, Uint32Array.from(carry))]),
        Uint32Array.from(idx),
      );
    } else ok = prod;
    width = next;
  }
  const passed = (await suite.open(
    ok,
    s.parties.map((_, i) => i),
  ))!;

  progress(`range-checked ${m} ${schema.collection} contributions of ${k} fields`);

  // 5. The accepted contributions, field by field.
  const acceptedIdx: number[] = [];
  candidates.forEach((c, t) => {
    if (passed[t] === 1n) acceptedIdx.push(t);
    else rejected.push({ id: c.id, reason: 'out of range' });
  });
  schema.fields.forEach((f, j) => {
    const idx = Uint32Array.from(acceptedIdx, (t) => t * k + j);
    const shares: Promise<Shares> = Promise.resolve(suite.gather(x, idx));
    values[f.name] = s.wrap(int(fieldBits(f)), [idx.length], fieldBits(f), shares);
  });
  return result(
    values,
    acceptedIdx.map((t) => candidates[t]!.id),
    rejected,
  );
}

/** A public constant c (any size the suite holds) as n shared elements. */
export function publicBig(suite: Suite, n: number, c: bigint): Shares {
  return suite.mulScalar(suite.constant(new BigInt64Array(n).fill(1n)), c);
}

/**
 * In a prime field: the sum S of n signed 64-bit parts lies in [-n 2^63, n 2^63) and is
 * congruent to the value modulo 2^64. Shifted by h 2^64 (h = ceil(n / 2)) it lies in
 * [0, (n + 1) 2^64); subtracting 2^64 once for each j in 1..n with S' >= j 2^64 leaves
 * the value in [0, 2^64), what a ring suite's wrap-around gives. One batch of n comparisons.
 */
async function reduceMod64(suite: Suite, sum: Shares, n: number, bound: number): Promise<Shares> {
  const len = sum.length;
  const two64 = 1n << 64n;
  const shifted = suite.add(sum, publicBig(suite, len, BigInt(Math.ceil(n / 2)) * two64));
  const diffs = Array.from({ length: n }, (_, j) =>
    suite.sub(shifted, publicBig(suite, len, BigInt(j + 1) * two64)),
  );
  const below = await suite.ltz(suite.concat(diffs), bound);
  // count of j with S' >= j 2^64 = n - sum_j [S' - j 2^64 < 0]
  let under = suite.gather(below, range(0, len));
  for (let j = 1; j < n; j++)
    under = suite.add(under, suite.gather(below, range(j * len, (j + 1) * len)));
  const k = suite.addPublic(suite.neg(under), new BigInt64Array(len).fill(BigInt(n)));
  return suite.sub(shifted, suite.mulScalar(k, two64));
}

function range(a: number, b: number): Uint32Array {
  return Uint32Array.from({ length: b - a }, (_, i) => a + i);
}

/** Bits of a signed type holding every value in [min, max]. */
function fieldBits(f: { min: number; max: number }): number {
  const mag = Math.max(Math.abs(f.min), Math.abs(f.max) + 1);
  return Math.max(2, Math.ceil(Math.log2(mag)) + 1);
}

function result(
  values: Record<string, SecretInt>,
  accepted: string[],
  rejected: { id: string; reason: RejectReason }[],
): Collected {
  const counts: Record<RejectReason, number> = {
    malformed: 0,
    duplicate: 0,
    undecryptable: 0,
    'out of range': 0,
  };
  for (const r of rejected) counts[r.reason]++;
  return { values, accepted, rejected, counts };
}
