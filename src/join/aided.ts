/**
 * Helper-aided lookup join: for each row of a small "probe" table (an
 * advertiser's conversions), the matching row's columns of a large table (a
 * publisher's impressions), as secrets, with a secret match flag. Linear
 * cost (one keyed hash per row at the owners, one multiplication per probe
 * row and column), where the sort-based join (join.ts) pays O(n log^2 n)
 * secure comparisons: it is what makes 1M x 100k tables practical.
 *
 * Protocol: server-aided PSI (Kamara, Mohassel, Raykova, Sadeghian, "Scaling
 * private set intersection to billion-element sets", Financial Cryptography
 * 2014, the semi-honest server-aided protocol) with the payload carried
 * under one-time pads, as three parties: the two owners and a helper that
 * brings no data (the session's third compute party).
 *
 * 1. The table's owner T draws a 256-bit key K from its CSPRNG-seeded PRG
 *    and sends it to the probe's owner P only.
 * 2. Each owner computes, per row, HMAC-SHA256(K, id): its first 64 bits
 *    are the token t, the next 64 bits per column the pads. T sends the
 *    helper (t, value + pad mod 2^64 per column) for all its rows, in a
 *    random order; P sends the helper its tokens, in a random order of its
 *    own (which is also the order of the result's rows).
 * 3. The helper finds, for each probe row j, the table row with the same
 *    token; it inputs the match bit e_j and that row's ciphertexts c_j
 *    (random words where there is none); P inputs -pad_j. Then
 *    e_j (c_j - pad_j) is the table's value at a matched row and 0
 *    elsewhere: one multiplication per probe row and column, exact in Z_2^64.
 *
 * Security: semi-honest, honest majority: any one of the three may be
 * curious, no two collude (as the rep3 suite). Leakage: both sizes (to all);
 * to the helper, the number of matches (it sees which of the randomly
 * ordered tokens are equal, and nothing else: tokens and ciphertexts are
 * pseudorandom to it); the owners learn nothing. If the helper colluded
 * with P, they would learn the table's columns at P's matched rows; with T,
 * which of T's ids P holds.
 *
 * Tokens have 64 bits: two different ids share a token with probability at
 * most n_T n_P / 2^64 (about 2^-27 for 10^6 x 10^5), which would join two
 * unrelated rows. Ids must be unique within each table (JoinKeyError names
 * the party and both rows).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Session } from '../api/session.js';
import type { SecretBool, SecretInt } from '../api/secret.js';
import { bool, type IntType } from '../api/types.js';
import { ProtocolAbort } from '../runtime/errors.js';
import type { Shares } from '../suites/suite.js';
import { JoinKeyError } from './keys.js';

export interface LookupJoinSpec {
  /** The large table's owner; its columns are looked up. */
  readonly table: {
    readonly party: string;
    readonly rows: number;
    readonly columns: readonly { readonly name: string; readonly type: IntType }[];
  };
  /** The probe table's owner: the result has one row per probe row. */
  readonly probe: { readonly party: string; readonly rows: number };
  /** The third party, which brings no data and does the matching. */
  readonly helper: string;
}

/** The owner's data: ids (unique) and, at the table's owner, integer columns. */
export interface LookupData {
  readonly ids: readonly string[];
  readonly columns?: Readonly<Record<string, ArrayLike<number | bigint>>>;
}

export interface LookupJoined {
  /** Probe rows, in an order the probe's owner chose at random (see `order`). */
  readonly rows: number;
  /** The probe row's id is in the table. */
  readonly match: SecretBool;
  /** The table's columns at the matched row, 0 where there is no match. */
  readonly columns: ReadonlyMap<string, SecretInt>;
  /**
   * At the probe's owner only: order[r] is the probe row (0-based, as passed)
   * at result row r, so that it can input its own columns aligned with the result.
   */
  readonly order?: Uint32Array;
}

const TEXT = new TextEncoder();
const MASK64 = (1n << 64n) - 1n;

/**
 * Joins the probe table with the large table on their ids (see the module
 * comment). Every party calls it with the same `spec`; the owners pass their
 * data, the helper passes nothing.
 * @throws {RangeError} for a session that is not three parties over Z_2^64,
 *   bad sizes or roles, missing data or values out of their column's type;
 *   {JoinKeyError} at an owner whose ids repeat; {ProtocolAbort} (naming the
 *   peer) for a message of the wrong length.
 */
export async function lookupJoin(
  s: Session,
  spec: LookupJoinSpec,
  mine?: LookupData,
): Promise<LookupJoined> {
  const suite = s.suite;
  if (s.parties.length !== 3 || suite.capacity !== 64)
    throw new RangeError(
      `lookupJoin: needs a three-party session over Z_2^64 (e.g. rep3), got ${s.parties.length} parties of '${suite.name}'`,
    );
  const T = s.indexOf(spec.table.party);
  const P = s.indexOf(spec.probe.party);
  const H = s.indexOf(spec.helper);
  if (new Set([T, P, H]).size !== 3)
    throw new RangeError('lookupJoin: the table, probe and helper must be three different parties');
  for (const [what, n] of [
    ['table', spec.table.rows],
    ['probe', spec.probe.rows],
  ] as const)
    if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 31)
      throw new RangeError(`lookupJoin: the ${what}'s row count must be in 0..2^31 - 1, got ${n}`);
  const names = spec.table.columns.map((c) => c.name);
  if (new Set(names).size !== names.length)
    throw new RangeError('lookupJoin: two columns have the same name');
  const me = s.party.index;
  const party = s.party;
  const nT = spec.table.rows;
  const nP = spec.probe.rows;
  const k = names.length;
  const word = 8 * (1 + k); // token, then one ciphertext per column

  // Local checks before anything is sent.
  let data: LookupData | undefined;
  if (me === T || me === P) {
    const owner = me === T ? spec.table.party : spec.probe.party;
    const rows = me === T ? nT : nP;
    if (!mine)
      throw new RangeError(`lookupJoin: party '${owner}' owns a table but passed no data for it`);
    if (mine.ids.length !== rows)
      throw new RangeError(
        `lookupJoin: party '${owner}' has ${mine.ids.length} ids, the table was declared with ${rows} rows`,
      );
    uniqueIds(owner, mine.ids);
    data = mine;
  }

  // 1. The key, from T to P only.
  const send1 = new Array<Uint8Array | undefined>(3);
  if (me === T) send1[P] = party.prg.bytes(32);
  const got1 = await party.exchange({
    op: 'join.lookup.key',
    send: send1,
    recvFrom: me === P ? [T] : [],
  });
  const key =
    me === T ? send1[P]! : me === P ? expect(s, T, 'join.lookup.key', got1[T], 32) : undefined;
  const keyed = key ? hmac.create(sha256, key) : undefined;

  // 2. Tokens and ciphertexts to the helper, each owner in a random order.
  const send2 = new Array<Uint8Array | undefined>(3);
  let order: Uint32Array | undefined;
  let negPads: BigInt64Array[] = [];
  if (me === T) {
    const perm = permutation(s, nT);
    const cols = names.map((name, j) => {
      const v = data!.columns?.[name];
      if (!v || v.length !== nT)
        throw new RangeError(
          `lookupJoin: party '${spec.table.party}' has ${v?.length ?? 'no'} values for column '${name}', the table ${nT} rows`,
        );
      return checkValues(spec.table.party, name, spec.table.columns[j]!.type, v);
    });
    const out = new Uint8Array(word * nT);
    const view = new DataView(out.buffer);
    for (let r = 0; r < nT; r++) {
      const i = perm[r]!;
      const h = prf(keyed!, data!.ids[i]!, k);
      view.setBigUint64(word * r, h[0]!, true);
      for (let j = 0; j < k; j++)
        view.setBigUint64(word * r + 8 * (1 + j), (cols[j]![i]! + h[1 + j]!) & MASK64, true);
    }
    send2[H] = out;
  } else if (me === P) {
    order = permutation(s, nP);
    const out = new Uint8Array(8 * nP);
    const view = new DataView(out.buffer);
    negPads = names.map(() => new BigInt64Array(nP));
    for (let r = 0; r < nP; r++) {
      const h = prf(keyed!, data!.ids[order[r]!]!, k);
      view.setBigUint64(8 * r, h[0]!, true);
      for (let j = 0; j < k; j++) negPads[j]![r] = BigInt.asIntN(64, -h[1 + j]!);
    }
    send2[H] = out;
  }
  const got2 = await party.exchange({
    op: 'join.lookup.tokens',
    send: send2,
    recvFrom: me === H ? [T, P] : [],
    handOver: true,
  });

  // 3. The helper matches; its inputs and P's pads make the shares.
  let e: BigInt64Array | undefined;
  let c: BigInt64Array | undefined;
  if (me === H) {
    const tv = expect(s, T, 'join.lookup.tokens', got2[T], word * nT);
    const pv = expect(s, P, 'join.lookup.tokens', got2[P], 8 * nP);
    const tView = new DataView(tv.buffer, tv.byteOffset, tv.byteLength);
    const pView = new DataView(pv.buffer, pv.byteOffset, pv.byteLength);
    const at = new Map<bigint, number>();
    for (let r = 0; r < nT; r++) at.set(tView.getBigUint64(word * r, true), r);
    e = new BigInt64Array(nP);
    c = new BigInt64Array(k * nP);
    // Unmatched rows get random words: e = 0 removes them anyway.
    const filler = party.prg.bytes(8 * k * nP);
    const fView = new DataView(filler.buffer, filler.byteOffset, filler.byteLength);
    for (let r = 0; r < nP; r++) {
      const q = at.get(pView.getBigUint64(8 * r, true));
      if (q !== undefined) e[r] = 1n;
      for (let j = 0; j < k; j++)
        c[j * nP + r] =
          q === undefined
            ? fView.getBigInt64(8 * (j * nP + r), true)
            : tView.getBigInt64(word * q + 8 * (1 + j), true);
    }
  }
  const eShares = suite.input(H, e, nP, 1);
  const cShares = suite.input(H, c, k * nP);
  const padShares = suite.input(P, me === P ? concatWords(negPads, nP) : undefined, k * nP);
  const match = s.wrap(bool, [nP], 2, eShares);
  const values: Promise<Shares> = Promise.all([eShares, cShares, padShares]).then(
    async ([ee, cc, pp]) => {
      if (k === 0 || nP === 0) return suite.constant(new BigInt64Array(k * nP));
      const rep = new Uint32Array(k * nP);
      for (let q = 0; q < rep.length; q++) rep[q] = q % nP;
      return suite.mul(suite.gather(ee, rep), suite.add(cc, pp));
    },
  );
  const columns = new Map<string, SecretInt>();
  spec.table.columns.forEach((col, j) => {
    const idx = new Uint32Array(nP);
    for (let r = 0; r < nP; r++) idx[r] = j * nP + r;
    columns.set(
      col.name,
      s.wrap(
        col.type,
        [nP],
        col.type.bits,
        values.then((v) => suite.gather(v, idx)),
      ),
    );
  });
  return { rows: nP, match, columns, ...(order ? { order } : {}) };
}

type Keyed = ReturnType<typeof hmac.create>;

/** Token and pads of one id: 64-bit words of HMAC-SHA256(K, counter || id). */
function prf(keyed: Keyed, id: string, pads: number): bigint[] {
  const body = TEXT.encode(id);
  const out: bigint[] = [];
  for (let block = 0; out.length < 1 + pads; block++) {
    const msg = new Uint8Array(body.length + 1);
    msg[0] = block;
    msg.set(body, 1);
    // The keyed state is cloned, not rebuilt: a quarter of the cost per id.
    const d = keyed.clone().update(msg).digest();
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let w = 0; w < 4 && out.length < 1 + pads; w++) out.push(v.getBigUint64(8 * w, true));
  }
  return out;
}

function uniqueIds(party: string, ids: readonly string[]): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    if (typeof id !== 'string')
      throw new TypeError(`lookupJoin: party '${party}', row ${i + 1}: an id must be a string`);
    const first = seen.get(id);
    if (first !== undefined)
      throw new JoinKeyError(
        party,
        `join: party '${party}' has the same key at rows ${first + 1} and ${i + 1}; keys must be unique within a table`,
      );
    seen.set(id, i);
  });
}

function checkValues(
  party: string,
  name: string,
  type: IntType,
  v: ArrayLike<number | bigint>,
): BigInt64Array {
  const lo = -(1n << BigInt(type.bits - 1));
  const hi = (1n << BigInt(type.bits - 1)) - 1n;
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (typeof x === 'number' && !Number.isSafeInteger(x))
      throw new TypeError(
        `lookupJoin: party '${party}', column '${name}', row ${i + 1}: not an integer`,
      );
    const b = BigInt(x);
    if (b < lo || b > hi)
      throw new RangeError(
        `lookupJoin: party '${party}', column '${name}', row ${i + 1}: outside int(${type.bits})`,
      );
    out[i] = b;
  }
  return out;
}

function concatWords(parts: readonly BigInt64Array[], n: number): BigInt64Array {
  const out = new BigInt64Array(parts.length * n);
  parts.forEach((p, j) => out.set(p, j * n));
  return out;
}

/** A uniform permutation of 0..n-1 from this party's CSPRNG-seeded PRG (Fisher-Yates). */
function permutation(s: Session, n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  if (n < 2) return p;
  const r = new Uint32Array(s.party.prg.bytes(8 * n).buffer);
  for (let i = n - 1; i > 0; i--) {
    // 53 random bits: the bias of floor(u (i + 1)) is below 2^-29 at any size used here.
    const u = (r[2 * i]! * 2097152 + (r[2 * i + 1]! >>> 11)) / 9007199254740992;
    const j = Math.floor(u * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function expect(
  s: Session,
  peer: number,
  op: string,
  msg: Uint8Array | undefined,
  bytes: number,
): Uint8Array {
  if (!msg || msg.length !== bytes)
    throw new ProtocolAbort(
      'malformed',
      peer,
      s.parties[peer],
      `${op}: expected ${bytes} bytes, got ${msg?.length ?? 'none'}`,
    );
  return msg;
}
