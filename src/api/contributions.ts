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
 * A contributor with many records sends a bundle instead (`contributeBundle`,
 * `collectBundles`): the records of several schemas in one HPKE message per node, the
 * record counts public and bound to the ciphertext as associated data; the same steps,
 * one open per bundle at each node, and a bundle passes only when every value in it does.
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

/**
 * A bundle: one contributor's records of several schemas (sections) in one envelope per
 * node, so a node opens one HPKE message per contributor rather than one per record (a
 * hospital's aggregates and its 50 records: 1 open instead of 51). The number of records
 * in each section is public, as the number of separate envelopes would be.
 */
export interface Bundle {
  readonly id: string;
  /** Records in each section, in the schemas' order. */
  readonly counts: readonly number[];
  readonly parts: readonly SealedPart[];
}

/** Words in one bundle: sum over sections of records x fields. */
export const MAX_BUNDLE_WORDS = 2 ** 22;

function bundleAad(
  schemas: readonly ContributionSchema[],
  id: string,
  counts: readonly number[],
  node: number,
  nodes: number,
): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      'bundle',
      schemas.map((sc) => [sc.collection, sc.fields.length]),
      id,
      counts,
      node,
      nodes,
    ]),
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
  const parts = await sealWords(nodeKeys, x, (i) => aad(schema, id, i, nodeKeys.length));
  return { id, parts };
}

/** Additive parts of `x` modulo 2^64, part i sealed to node i with associated data aadOf(i). */
async function sealWords(
  nodeKeys: readonly Uint8Array[],
  x: BigUint64Array,
  aadOf: (node: number) => Uint8Array,
): Promise<SealedPart[]> {
  const k = x.length;
  const parts: BigUint64Array[] = [];
  const first = x.slice();
  for (let i = 1; i < nodeKeys.length; i++) {
    const r = new BigUint64Array(k);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let o = 0; o < k; o += 8192) globalThis.crypto.getRandomValues(r.subarray(o, o + 8192));
    for (let j = 0; j < k; j++) first[j] = BigInt.asUintN(64, first[j]! - r[j]!);
    parts.push(r);
  }
  parts.unshift(first);
  const s = await hpke();
  return Promise.all(
    parts.map(async (p, i) => {
      const recipientPublicKey = await s.kem.deserializePublicKey(nodeKeys[i]!).catch(() => {
        throw new ContributionError(`node key ${i} is not an X25519 public key`);
      });
      const out = await s.seal(
        { recipientPublicKey, info: INFO },
        new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
        aadOf(i),
      );
      return { enc: b64(new Uint8Array(out.enc)), ct: b64(new Uint8Array(out.ct)) };
    }),
  );
}

/**
 * A contributor's side for a bundle: `sections[i]` holds the records of `schemas[i]`
 * (each record one value per field, in schema order), all split into additive parts and
 * sealed in one envelope per node. Runs in browsers.
 * @throws {ContributionError} naming the section, record and field of a value outside
 *   its range, or a bundle of more than MAX_BUNDLE_WORDS values.
 */
export async function contributeBundle(
  schemas: readonly ContributionSchema[],
  nodeKeys: readonly Uint8Array[],
  id: string,
  sections: readonly (readonly (readonly (number | bigint)[])[])[],
): Promise<Bundle> {
  schemas.forEach(checkSchema);
  if (nodeKeys.length < 2) throw new ContributionError('contribute: need at least two node keys');
  if (sections.length !== schemas.length)
    throw new ContributionError(
      `contributeBundle: expected ${schemas.length} sections, got ${sections.length}`,
    );
  const counts = sections.map((rows) => rows.length);
  const words = counts.reduce((a, c, i) => a + c * schemas[i]!.fields.length, 0);
  if (words < 1 || words > MAX_BUNDLE_WORDS)
    throw new ContributionError(
      `contributeBundle: ${words} values, expected 1 to ${MAX_BUNDLE_WORDS}`,
    );
  const x = new BigUint64Array(words);
  let o = 0;
  sections.forEach((rows, i) => {
    const sc = schemas[i]!;
    rows.forEach((values, r) => {
      if (values.length !== sc.fields.length)
        throw new ContributionError(
          `contributeBundle: ${sc.collection} record ${r}: expected ${sc.fields.length} values, got ${values.length}`,
        );
      values.forEach((v, j) => {
        const f = sc.fields[j]!;
        if (typeof v === 'number' && !Number.isSafeInteger(v))
          throw new ContributionError(
            `contributeBundle: ${sc.collection} record ${r}: field '${f.name}' is not an integer`,
          );
        const b = BigInt(v);
        if (b < BigInt(f.min) || b > BigInt(f.max))
          throw new ContributionError(
            `contributeBundle: ${sc.collection} record ${r}: field '${f.name}' is outside [${f.min}, ${f.max}]`,
          );
        x[o++] = BigInt.asUintN(64, b);
      });
    });
  });
  return sealBundleWords(schemas, nodeKeys, id, counts, x);
}

/**
 * sealParts for a bundle: the words as given, no range check (what a malicious
 * contributor can send; tests forge bundles with it).
 */
export async function sealBundleWords(
  schemas: readonly ContributionSchema[],
  nodeKeys: readonly Uint8Array[],
  id: string,
  counts: readonly number[],
  x: BigUint64Array,
): Promise<Bundle> {
  const parts = await sealWords(nodeKeys, x, (i) =>
    bundleAad(schemas, id, counts, i, nodeKeys.length),
  );
  return { id, counts: [...counts], parts };
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
function screen<C extends { readonly id: string; readonly parts: readonly SealedPart[] }>(
  list: readonly C[],
  nodes: number,
  shapeOk: (c: C) => boolean = () => true,
): { kept: C[]; rejected: { id: string; reason: RejectReason }[] } {
  const seen = new Set<string>();
  const kept: C[] = [];
  const rejected: { id: string; reason: RejectReason }[] = [];
  for (const c of list) {
    const id = typeof c?.id === 'string' ? c.id : '';
    const wellFormed =
      id !== '' &&
      id.length <= 256 &&
      Array.isArray(c.parts) &&
      c.parts.length === nodes &&
      shapeOk(c) &&
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

/** Which number format the suite's parts are summed in (see the module comment). */
function wordMode(s: Session): { field: boolean; reduceBound: number } {
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
  return { field, reduceBound };
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
  wordMode(s);
  const n = s.parties.length;
  const { kept, rejected } = screen(list, n);

  // 1. The same list at every node (digests are public).
  await sameList(s, listDigest(list));

  // 2. Open this node's parts.
  const open = await partOpener(schema, privateKey, s.indexOf(s.me), n);
  const mine = await Promise.all(kept.map((c) => open(c)));
  progress(`opened ${kept.length} ${schema.collection} envelopes`);
  const c = await collectOpened(
    s,
    [schema],
    kept.map((k) => ({ id: k.id, counts: [1] })),
    mine,
    rejected,
    (m) =>
      progress(
        `range-checked ${m} ${schema.collection} contributions of ${schema.fields.length} fields`,
      ),
  );
  return result(c.values[0]!, c.accepted, c.rejected);
}

/** What the nodes hold after collecting bundles. */
export interface CollectedBundles {
  /** Per schema, one secret vector per field over the accepted bundles' records, bundle-major. */
  readonly values: readonly Readonly<Record<string, SecretInt>>[];
  /** Ids of the accepted bundles. */
  readonly accepted: readonly string[];
  /** Per accepted bundle, its records per schema (public, as in the envelope). */
  readonly records: readonly (readonly number[])[];
  readonly rejected: readonly { readonly id: string; readonly reason: RejectReason }[];
  readonly counts: Readonly<Record<RejectReason, number>>;
}

/**
 * collectContributions for bundles (see `Bundle`): the same steps, one HPKE open per
 * bundle at each node, and a bundle is accepted only when every value of every record
 * in it is within its field's range (one bit revealed per bundle).
 * @throws {ContributionError} if the nodes' lists differ or the suite cannot sum the parts.
 */
export async function collectBundles(
  s: Session,
  schemas: readonly ContributionSchema[],
  list: readonly Bundle[],
  privateKey: Uint8Array,
  progress: (message: string) => void = () => undefined,
): Promise<CollectedBundles> {
  schemas.forEach(checkSchema);
  if (schemas.length === 0) throw new ContributionError('collectBundles: no schemas');
  wordMode(s);
  const n = s.parties.length;
  const wordsOf = (counts: readonly number[]) =>
    counts.reduce((a, c, i) => a + c * schemas[i]!.fields.length, 0);
  const { kept, rejected } = screen(list, n, (b) => {
    if (!Array.isArray(b.counts) || b.counts.length !== schemas.length) return false;
    if (!b.counts.every((c) => Number.isSafeInteger(c) && c >= 0)) return false;
    const w = wordsOf(b.counts);
    return w >= 1 && w <= MAX_BUNDLE_WORDS;
  });
  await sameList(
    s,
    sha256(new TextEncoder().encode(JSON.stringify(list.map((b) => [b.id, b.counts, b.parts])))),
  );

  const me = s.indexOf(s.me);
  const h = await hpke();
  const recipientKey = await h.kem.deserializePrivateKey(privateKey).catch(() => {
    throw new ContributionError(`node ${me}: the private key is not an X25519 key`);
  });
  const mine = await Promise.all(
    kept.map(async (b) => {
      const part = b.parts[me]!;
      try {
        const pt = new Uint8Array(
          await h.open(
            { recipientKey, enc: unb64(part.enc)!, info: INFO },
            unb64(part.ct)!,
            bundleAad(schemas, b.id, b.counts, me, n),
          ),
        );
        return pt.length === 8 * wordsOf(b.counts)
          ? new BigUint64Array(pt.slice().buffer)
          : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  const label = schemas.map((sc) => sc.collection).join(' + ');
  progress(`opened ${kept.length} ${label} envelopes`);
  const c = await collectOpened(s, schemas, kept, mine, rejected, (m) =>
    progress(`range-checked ${m} ${label} bundles`),
  );
  const byId = new Map(kept.map((b) => [b.id, b.counts]));
  const r = result({}, c.accepted, c.rejected);
  return {
    values: c.values,
    accepted: r.accepted,
    records: c.accepted.map((id) => [...byId.get(id)!]),
    rejected: r.rejected,
    counts: r.counts,
  };
}

/** @throws {ContributionError} naming the nodes whose list digest differs from this node's. */
async function sameList(s: Session, digest: Uint8Array): Promise<void> {
  const differ = await partiesWithOtherDigest(s, digest);
  if (differ.length > 0)
    throw new ContributionError(
      `nodes ${differ.join(', ')} hold a different list of contributions than ${s.me}; nothing was collected`,
    );
}

/**
 * Steps 2 (which items every node opened, public) to 5, for items of records of several
 * schemas: `mine[j]` is this node's words of kept item j (section by section, record by
 * record, field by field), undefined when it could not open them.
 */
async function collectOpened(
  s: Session,
  schemas: readonly ContributionSchema[],
  kept: readonly { readonly id: string; readonly counts: readonly number[] }[],
  mine: readonly (BigUint64Array | undefined)[],
  rejected: { id: string; reason: RejectReason }[],
  checked: (items: number) => void,
): Promise<{
  values: Record<string, SecretInt>[];
  accepted: string[];
  rejected: { id: string; reason: RejectReason }[];
}> {
  const suite = s.suite;
  const n = s.parties.length;
  const { field, reduceBound } = wordMode(s);
  const me = s.indexOf(s.me);
  const opened = Uint8Array.from(mine, (w) => (w ? 1 : 0));
  const okAll = await s
    .concat(s.parties.map((p) => s.input(p, int(2), p === s.me ? opened : kept.length)))
    .revealNumbers();
  const cand: number[] = [];
  kept.forEach((c, j) => {
    if (s.parties.every((_, i) => okAll[i * kept.length + j] === 1)) cand.push(j);
    else rejected.push({ id: c.id, reason: 'undecryptable' });
  });
  const m = cand.length;
  const sizes = cand.map((j) =>
    kept[j]!.counts.reduce((a, c, i) => a + c * schemas[i]!.fields.length, 0),
  );
  const W = sizes.reduce((a, b) => a + b, 0);
  const empty = () =>
    schemas.map((sc) => {
      const v: Record<string, SecretInt> = {};
      for (const f of sc.fields) v[f.name] = s.constant(int(fieldBits(f)), []);
      return v;
    });
  if (m === 0) return { values: empty(), accepted: [], rejected };

  const myParts = new BigInt64Array(W);
  const minus = new BigInt64Array(W);
  const span = new BigInt64Array(W);
  const fieldMinus = schemas.map((sc) => sc.fields.map((f) => BigInt.asIntN(64, -BigInt(f.min))));
  const fieldSpan = schemas.map((sc) =>
    sc.fields.map((f) => BigInt.asIntN(64, -(BigInt(f.max) - BigInt(f.min) + 1n))),
  );
  let o = 0;
  for (const j of cand) {
    const words = mine[j]!;
    for (let w = 0; w < words.length; w++) myParts[o + w] = BigInt.asIntN(64, words[w]!);
    kept[j]!.counts.forEach((count, i) => {
      const mi = fieldMinus[i]!;
      const sp = fieldSpan[i]!;
      for (let r = 0; r < count; r++)
        for (let f = 0; f < mi.length; f++, o++) {
          minus[o] = mi[f]!;
          span[o] = sp[f]!;
        }
    });
  }

  // 3. The values: the sum of every node's parts, modulo 2^64.
  const inputs = await Promise.all(
    s.parties.map((_, i) => suite.input(i, i === me ? myParts : undefined, W, 64)),
  );
  const sum = inputs.slice(1).reduce((a, b) => suite.add(a, b), inputs[0]!);

  // 4. Range checks: y = x - min is valid iff 0 <= y <= max - min as an unsigned 64-bit
  // number, i.e. y's top bit is 0 and y - (max - min) - 1 < 0, both exact for any x
  // (over Z_2^64 the top bit is the sign; in a field y is already in [0, 2^64)).
  // In a field, y is reduced after the shift, so that a negative value's y is exact too.
  const y = field
    ? await reduceMod64(suite, suite.addPublic(sum, minus), n, reduceBound)
    : suite.addPublic(sum, minus);
  const x = field ? suite.sub(y, suite.constant(minus)) : sum;
  const bound = field ? reduceBound : 64;
  const lt = await suite.ltz(suite.concat([y, suite.addPublic(y, span)]), bound);
  const top = suite.gather(lt, range(0, W));
  const below = suite.gather(lt, range(W, 2 * W));
  // valid = (1 - top) * below = below - top * below
  const valid = suite.sub(below, await suite.mul(top, below));
  const passed = (await suite.open(
    await allOfGroups(suite, valid, sizes),
    s.parties.map((_, i) => i),
  ))!;
  checked(m);

  // 5. The accepted items' records, schema by schema and field by field.
  const accepted: string[] = [];
  const acceptedAt: number[] = [];
  let at = 0;
  cand.forEach((j, t) => {
    if (passed[t] === 1n) {
      accepted.push(kept[j]!.id);
      acceptedAt.push(t);
    } else rejected.push({ id: kept[j]!.id, reason: 'out of range' });
  });
  const starts: number[] = [];
  for (const size of sizes) {
    starts.push(at);
    at += size;
  }
  const values = schemas.map((sc, i) => {
    const k = sc.fields.length;
    const out: Record<string, SecretInt> = {};
    sc.fields.forEach((f, fi) => {
      const idx: number[] = [];
      for (const t of acceptedAt) {
        const counts = kept[cand[t]!]!.counts;
        let base = starts[t]!;
        for (let p = 0; p < i; p++) base += counts[p]! * schemas[p]!.fields.length;
        for (let r = 0; r < counts[i]!; r++) idx.push(base + r * k + fi);
      }
      const shares: Promise<Shares> = Promise.resolve(suite.gather(x, Uint32Array.from(idx)));
      out[f.name] = s.wrap(int(fieldBits(f)), [idx.length], fieldBits(f), shares);
    });
    return out;
  });
  return { values, accepted, rejected };
}

/**
 * The product of each group of 0/1 values (groups consecutive, of the given sizes >= 1):
 * a product tree, one round per level, ceil(log2(largest group)) rounds.
 */
async function allOfGroups(suite: Suite, bits: Shares, sizes: readonly number[]): Promise<Shares> {
  let ok = bits;
  let widths = [...sizes];
  while (widths.some((w) => w > 1)) {
    const left: number[] = [];
    const right: number[] = [];
    const carry: number[] = [];
    let o = 0;
    for (const w of widths) {
      for (let j = 0; j + 1 < w; j += 2) {
        left.push(o + j);
        right.push(o + j + 1);
      }
      if (w % 2 === 1) carry.push(o + w - 1);
      o += w;
    }
    const prod = await suite.mul(
      suite.gather(ok, Uint32Array.from(left)),
      suite.gather(ok, Uint32Array.from(right)),
    );
    // Each group's products, then its carried value: [prod..., carry...] reordered.
    const idx: number[] = [];
    let p = 0;
    let c = left.length;
    for (const w of widths) {
      for (let j = 0; j + 1 < w; j += 2) idx.push(p++);
      if (w % 2 === 1) idx.push(c++);
    }
    ok = suite.gather(
      suite.concat([prod, suite.gather(ok, Uint32Array.from(carry))]),
      Uint32Array.from(idx),
    );
    widths = widths.map((w) => Math.ceil(w / 2));
  }
  return ok;
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
