/**
 * Threshold PSI across n >= 3 parties: an element is revealed only if it is
 * in the sets of at least t of the n parties; nothing is revealed about the
 * others, their number included, beyond the set sizes.
 *
 * Approach: the sort-based threshold intersection on secret shares of
 * element fingerprints, in the style of Blanton and Aguiar, "Private and
 * oblivious set and multiset operations" (ASIACCS 2012; sort the union
 * obliviously, then compare neighbours), and of the sorting-based PSI of
 * Huang, Evans, Katz (NDSS 2012), with the output step of over-threshold
 * PSI (Mahdavi et al., "Practical over-threshold multi-party private set
 * intersection", ACSAC 2020: only elements held by >= t parties are
 * revealed). Every step runs in the session's suite, so the security model
 * is the suite's; with `shamir` (n >= 3) or `rep3` (n = 3) it is
 * semi-honest with an honest majority.
 *
 *  1. Each party removes its duplicates and inputs one fingerprint per
 *     distinct element (62 bits of SHA-256, see `fingerprintOf`), with an
 *     optional value. The set sizes are exchanged first: they are public.
 *  2. The union of all N fingerprints is sorted obliviously (the session's
 *     sortBy, src/ops/sort.ts: shuffle then quicksort with revealed
 *     comparisons of index-tagged keys where the suite allows it, Batcher's
 *     network otherwise), values riding along.
 *  3. Because each party contributes a fingerprint at most once, equal
 *     fingerprints form a run of length <= n. With e_j[i] = (k_i == k_{i+j}),
 *     position i starts a run of length >= t iff e_{t-1}[i] holds and
 *     e_1[i-1] does not (sorted order: the end points equal means every key
 *     between them is too). The run's value sum is v_i + sum_j e_j[i] v_{i+j}.
 *  4. Rows (fingerprint, flag, sum) are shuffled by a secret permutation,
 *     the flags are opened (their positions now say nothing about sorted
 *     order), and only the flagged rows' fingerprints (and sums, if asked)
 *     are opened.
 *
 * Leakage: the set sizes, the number of elements that pass, the passing
 * fingerprints (and sums if asked). Each party maps passing fingerprints
 * back to its own elements; a party without the element sees only its
 * fingerprint (a dictionary attack on low-entropy elements can invert it,
 * as it could the revealed element itself).
 *
 * Fingerprint collisions: two distinct elements collide with probability
 * 2^-62 per pair, so among N elements in all with probability below
 * N^2 / 2^63: 2^-27 for 4 x 2^16 elements, 2^-23 for 2^20, 2^-15 for
 * 2^24. A collision merges two elements into one run (it can only make a
 * pair of near-threshold elements pass together).
 */
import type { SecretBool, SecretInt } from '../api/secret.js';
import type { Session } from '../api/session.js';
import { bool, int, type IntType } from '../api/types.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { malformed, MAX_SET, oversized } from './wire.js';

/** Bits of an element's fingerprint (a signed int(62) of the session). */
export const FINGERPRINT_BITS = 62;
const VERSION = 1;
const PROTOCOL_THRESHOLD = 3;
const HELLO_BYTES = 24;
const TEXT = new TextEncoder();
const LABEL = TEXT.encode('entente/psi/threshold/fingerprint/v1\0');

export interface ThresholdPsiOptions {
  /** Reveal an element held by at least this many parties (1..n). */
  readonly threshold: number;
  /**
   * Each party's values, one per input element (duplicates' values are
   * added), of this type; their sum over the holders of an element is
   * computed inside MPC.
   */
  readonly valueType?: IntType;
  /** With values: an element passes only if its sum is also >= this (checked inside MPC). */
  readonly minSum?: bigint | number;
  /** With values: also reveal the sums of the passing elements. Default false. */
  readonly revealSums?: boolean;
}

export interface ThresholdPsiResult {
  /** Positions in this party's input of its passing elements (first occurrences), ascending. */
  readonly rows: number[];
  /** Every passing element's fingerprint, ascending (the same at every party). */
  readonly fingerprints: bigint[];
  /** With revealSums: the sum of each passing element, aligned with `fingerprints`. */
  readonly sums?: bigint[];
  /** Distinct elements at each party (public). */
  readonly sizes: number[];
}

/** The fingerprint of one element: 62 bits of SHA-256 under this layer's label, as a signed integer. */
export function fingerprintOf(element: string | Uint8Array): bigint {
  const body = typeof element === 'string' ? TEXT.encode(element) : element;
  const msg = new Uint8Array(LABEL.length + body.length);
  msg.set(LABEL);
  msg.set(body, LABEL.length);
  const d = sha256(msg);
  const w = new DataView(d.buffer, d.byteOffset).getBigUint64(0, false);
  return BigInt.asIntN(FINGERPRINT_BITS, w >> BigInt(64 - FINGERPRINT_BITS));
}

/** Distinct fingerprints of a party's elements, their first positions, and summed values. */
export interface LocalSet {
  readonly fingerprints: bigint[];
  readonly first: number[];
  readonly values: bigint[] | undefined;
}

/** Removes duplicates (first position kept; values of duplicates added). */
export function localSet(
  elements: ReadonlyArray<string | Uint8Array>,
  values?: ArrayLike<number | bigint>,
): LocalSet {
  const at = new Map<bigint, number>();
  const fingerprints: bigint[] = [];
  const first: number[] = [];
  const sums: bigint[] | undefined = values ? [] : undefined;
  for (let i = 0; i < elements.length; i++) {
    const f = fingerprintOf(elements[i]!);
    let k = at.get(f);
    if (k === undefined) {
      k = fingerprints.length;
      at.set(f, k);
      fingerprints.push(f);
      first.push(i);
      sums?.push(0n);
    }
    if (sums) sums[k] = sums[k]! + BigInt(values![i]!);
  }
  return { fingerprints, first, values: sums };
}

/**
 * Runs the threshold PSI: every party of `s` calls it, in the same place of
 * its program, with its own elements (and values, if `opts.valueType`).
 * @throws {RangeError} on bad local input or options; {ProtocolAbort}
 *   naming the peer when a peer's hello is malformed (other options, other
 *   version) or announces a set beyond MAX_SET.
 */
export async function thresholdPsi(
  s: Session,
  elements: ReadonlyArray<string | Uint8Array>,
  opts: ThresholdPsiOptions,
  values?: ArrayLike<number | bigint>,
): Promise<ThresholdPsiResult> {
  const n = s.parties.length;
  const t = opts.threshold;
  if (!Number.isInteger(t) || t < 1 || t > n)
    throw new RangeError(`thresholdPsi: threshold must be an integer in 1..${n}, got ${t}`);
  const vt = opts.valueType;
  if (vt && (!values || values.length !== elements.length))
    throw new RangeError(
      `thresholdPsi: expected ${elements.length} values, got ${values?.length ?? 'none'}`,
    );
  if (!vt && (opts.minSum !== undefined || opts.revealSums))
    throw new RangeError('thresholdPsi: minSum and revealSums need a valueType');
  if (FINGERPRINT_BITS + 1 > s.compareCapacity)
    throw new RangeError(
      `thresholdPsi: the ${s.suiteName} suite compares ${s.compareCapacity - 1}-bit values, fingerprints need ${FINGERPRINT_BITS}`,
    );
  const local = localSet(elements, vt ? values : undefined);
  if (local.fingerprints.length > MAX_SET)
    throw new RangeError(
      `thresholdPsi: a set of ${local.fingerprints.length} distinct elements exceeds the limit of ${MAX_SET}`,
    );
  if (vt) checkValues(local.values!, vt);
  const sizes = await exchangeSizes(s, local.fingerprints.length, opts);
  const N = sizes.reduce((a, b) => a + b, 0);
  if (N === 0) return { rows: [], fingerprints: [], sums: opts.revealSums ? [] : undefined, sizes };

  // 1. Inputs, one vector per party, joined.
  const fpType = int(FINGERPRINT_BITS);
  const keyParts: SecretInt[] = [];
  const valueParts: SecretInt[] = [];
  s.parties.forEach((id, p) => {
    if (sizes[p] === 0) return;
    const own = p === s.party.index;
    keyParts.push(s.input(id, fpType, own ? local.fingerprints : sizes[p]!));
    if (vt) valueParts.push(s.input(id, vt, own ? local.values! : sizes[p]!));
  });
  let keys = s.concat(keyParts);
  let vals = vt ? s.concat(valueParts) : undefined;

  // 2. Oblivious sort of the union.
  if (N > 1) {
    const sorted = s.sortBy(keys, vals ? [vals] : []);
    keys = sorted.keys as SecretInt;
    vals = sorted.payloads[0];
  }

  // 3. Runs: e_j[i] = (k_i == k_{i+j}) for j < n (runs are at most n long).
  const e: (SecretBool | undefined)[] = [undefined];
  for (let j = 1; j < Math.min(n, N); j++) e.push(keys.slice(0, N - j).eq(keys.slice(j)));
  const flag = passFlags(s, e, t, N);
  let pass = flag;
  let sums: SecretInt | undefined;
  if (vals) {
    sums = runSums(s, vals, e, N);
    if (opts.minSum !== undefined) pass = pass.and(sums.ge(opts.minSum));
  }

  // 4. Shuffle, open the flags, open the passing rows only.
  const cols: SecretInt[] = [keys, pass.toInt(2)];
  if (sums && opts.revealSums) cols.push(sums);
  const mixed = N > 1 ? s.shuffle(cols) : cols;
  const flags = await mixed[1]!.reveal();
  const idx = Uint32Array.from(
    flags.flatMap((f, i) => (f === 1n ? [i] : f === 0n ? [] : notABit(i))),
  );
  const [fps, sumsOut] = await Promise.all([
    idx.length ? mixed[0]!.gather(idx).reveal() : Promise.resolve([] as bigint[]),
    cols.length > 2 && idx.length
      ? mixed[2]!.gather(idx).reveal()
      : Promise.resolve(opts.revealSums ? ([] as bigint[]) : undefined),
  ]);
  const order = fps.map((_, i) => i).sort((a, b) => cmp(fps[a]!, fps[b]!));
  const fingerprints = order.map((i) => fps[i]!);
  const mineAt = new Map(local.fingerprints.map((f, k) => [f, local.first[k]!]));
  const rows = fingerprints
    .map((f) => mineAt.get(f))
    .filter((r): r is number => r !== undefined)
    .sort((a, b) => a - b);
  return { rows, fingerprints, sums: sumsOut && order.map((i) => sumsOut[i]!), sizes };
}

/** flag_i = (run from i has >= t elements) and (i starts its run). */
function passFlags(s: Session, e: (SecretBool | undefined)[], t: number, N: number): SecretBool {
  // starts[i]: i == 0 or k_{i-1} != k_i.
  const starts =
    N > 1 ? s.concat([s.constant(bool, [true]), e[1]!.not()]) : s.constant(bool, [true]);
  if (t === 1) return starts;
  if (t > N) return s.constant(bool, new Array<boolean>(N).fill(false));
  // e_{t-1} covers positions 0..N-t; positions beyond cannot start a run of t.
  const longEnough = s.concat([e[t - 1]!, s.constant(bool, new Array<boolean>(t - 1).fill(false))]);
  return longEnough.and(starts);
}

/** The sum of the run starting at each position (meaningful where a run starts). */
function runSums(s: Session, vals: SecretInt, e: (SecretBool | undefined)[], N: number): SecretInt {
  let sum = vals;
  const zero = (k: number) => s.constant(vals.type, new Array<number>(k).fill(0));
  for (let j = 1; j < e.length; j++) {
    const next = vals.slice(j);
    const part = e[j]!.select(next, zero(N - j));
    sum = sum.add(s.concat([part, zero(j)]));
  }
  return sum;
}

function checkValues(v: bigint[], type: IntType): void {
  const lo = -(1n << BigInt(type.bits - 1));
  const hi = (1n << BigInt(type.bits - 1)) - 1n;
  v.forEach((x, k) => {
    if (x < lo || x > hi)
      throw new RangeError(
        `thresholdPsi: the value of distinct element ${k} (duplicates added) is outside int(${type.bits})`,
      );
  });
}

/**
 * Every party sends every other its hello: version, protocol, threshold,
 * value bits, minimum sum and its set size. The options must agree; the
 * sizes are bounded. Returns the sizes, by party index.
 */
async function exchangeSizes(
  s: Session,
  size: number,
  opts: ThresholdPsiOptions,
): Promise<number[]> {
  const party = s.party;
  const mine = hello(size, opts);
  const peers = party.ids.map((_, p) => p).filter((p) => p !== party.index);
  const send = party.ids.map((_, p) => (p === party.index ? undefined : mine));
  const got = await party.exchange({ op: 'psi.threshold.hello', send, recvFrom: peers });
  const sizes = new Array<number>(party.n).fill(0);
  sizes[party.index] = size;
  for (const p of peers) {
    const b = got[p];
    if (!b || b.length !== HELLO_BYTES)
      throw (b && b.length > HELLO_BYTES ? oversized : malformed)(
        party,
        p,
        `psi.threshold.hello: expected ${HELLO_BYTES} bytes, got ${b?.length ?? 0}`,
      );
    if (b[0] !== VERSION || b[1] !== PROTOCOL_THRESHOLD)
      throw malformed(
        party,
        p,
        `psi.threshold.hello: version ${b[0]}/${b[1]}, expected ${VERSION}/${PROTOCOL_THRESHOLD}`,
      );
    for (let i = 2; i < 16; i++)
      if (b[i] !== mine[i])
        throw malformed(
          party,
          p,
          'psi.threshold.hello: the peer runs with other options (threshold, values or minimum sum)',
        );
    const n = new DataView(b.buffer, b.byteOffset).getUint32(16, true);
    if (n > MAX_SET)
      throw oversized(
        party,
        p,
        `psi.threshold.hello: a set of ${n} elements exceeds the limit of ${MAX_SET}`,
      );
    sizes[p] = n;
  }
  return sizes;
}

function hello(size: number, opts: ThresholdPsiOptions): Uint8Array {
  const b = new Uint8Array(HELLO_BYTES);
  const v = new DataView(b.buffer);
  b[0] = VERSION;
  b[1] = PROTOCOL_THRESHOLD;
  b[2] = opts.valueType ? opts.valueType.bits : 0;
  b[3] = (opts.minSum !== undefined ? 1 : 0) | (opts.revealSums ? 2 : 0);
  v.setUint32(4, opts.threshold, true);
  v.setBigInt64(8, BigInt(opts.minSum ?? 0), true);
  v.setUint32(16, size, true);
  return b;
}

function notABit(i: number): never {
  throw new Error(`thresholdPsi: opened flag ${i} is not a bit (suite error)`);
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
