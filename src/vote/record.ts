/**
 * The election record: everything published after an election, as JSON
 * (docs/VOTE.md, "The election record"). Group elements and scalars are 64
 * lowercase hex digits; hashes and codes 64 hex digits. Parsing checks every
 * field's shape and decodes every element, naming the field that is wrong
 * (`record.ballots[3].contests[0].selections[1].alpha`); whether the record
 * is *true* is the verifier's question (./verify.ts).
 */
import type { Complaint, ComplaintAnswer, GuardianPublic } from '../he/elgamal/dkg.js';
import type { Ciphertext } from '../he/elgamal/elgamal.js';
import {
  pointFromHex,
  pointToHex,
  scalarFromHex,
  scalarToHex,
  type Point,
} from '../he/elgamal/group.js';
import type { ChaumPedersenProof, RangeProof, SchnorrProof } from '../he/elgamal/proofs.js';
import type { DecryptionShare } from '../he/elgamal/threshold.js';
import type { BallotState, Choices, EncryptedBallot, EncryptedContest } from './ballot.js';
import { GROUP, RECORD_FORMAT, type CeremonyRecord, type ElectionHashes } from './election.js';
import { parseManifest, type Manifest } from './manifest.js';
import type { DecryptedTally } from './tally.js';

export interface ElectionRecord {
  readonly manifest: Manifest;
  readonly n: number;
  readonly t: number;
  readonly hashes: ElectionHashes;
  readonly ceremony: CeremonyRecord;
  readonly jointKey: Point;
  readonly devices: readonly { readonly id: string; readonly closingCode: string }[];
  readonly ballots: readonly EncryptedBallot[];
  readonly tally: DecryptedTally;
}

// ---------------------------------------------------------------- to JSON

const P = pointToHex;
const S = scalarToHex;
const schnorrJson = (p: SchnorrProof) => ({ commitment: P(p.commitment), response: S(p.response) });
const rangeJson = (p: RangeProof) =>
  p.branches.map((b) => ({ a: P(b.a), b: P(b.b), c: S(b.challenge), v: S(b.response) }));
const cpJson = (p: ChaumPedersenProof) => ({ a: P(p.a), b: P(p.b), v: S(p.response) });

export function guardianJson(g: GuardianPublic) {
  return {
    index: g.index,
    commitments: g.commitments.map(P),
    proofs: g.proofs.map(schnorrJson),
    communicationKey: P(g.communicationKey),
    communicationProof: schnorrJson(g.communicationProof),
  };
}

export function ballotJson(b: EncryptedBallot) {
  return {
    id: b.id,
    device: b.device,
    state: b.state,
    previousCode: b.previousCode,
    code: b.code,
    contests: b.contests.map((c) => ({
      id: c.id,
      selections: c.selections.map((s) => ({
        id: s.id,
        alpha: P(s.ct.alpha),
        beta: P(s.ct.beta),
        ...(s.proof ? { proof: rangeJson(s.proof) } : {}),
        ...(s.bits
          ? {
              bits: s.bits.map((b) => ({
                alpha: P(b.ct.alpha),
                beta: P(b.ct.beta),
                proof: rangeJson(b.proof),
              })),
            }
          : {}),
      })),
      ...(c.proof ? { proof: rangeJson(c.proof) } : {}),
      ...(c.total ? { total: cpJson(c.total) } : {}),
    })),
    ...(b.spoiled ? { spoiled: b.spoiled } : {}),
  };
}

export function recordToJson(r: ElectionRecord): unknown {
  return {
    format: RECORD_FORMAT,
    group: GROUP,
    manifest: r.manifest,
    guardians: r.n,
    threshold: r.t,
    hashes: r.hashes,
    ceremony: {
      guardians: r.ceremony.guardians.map(guardianJson),
      complaints: r.ceremony.complaints,
      answers: r.ceremony.answers.map((a) => ({
        dealer: a.dealer,
        recipient: a.recipient,
        share: S(a.share),
      })),
      qualified: r.ceremony.qualified,
    },
    jointKey: P(r.jointKey),
    devices: r.devices,
    ballots: r.ballots.map(ballotJson),
    tally: {
      contests: r.tally.contests.map((c) => ({
        id: c.id,
        selections: c.selections.map((s) => ({
          id: s.id,
          alpha: P(s.ct.alpha),
          beta: P(s.ct.beta),
          value: s.value,
          shares: s.shares.map(decryptionShareJson),
        })),
      })),
    },
  };
}

export const decryptionShareJson = (d: DecryptionShare) => ({
  guardian: d.guardian,
  share: P(d.share),
  proof: cpJson(d.proof),
});

// ---------------------------------------------------------------- from JSON

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new RangeError(`${where}: expected an object`);
  return v as Obj;
}
function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new RangeError(`${where}: expected an array`);
  return v;
}
function int(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max)
    throw new RangeError(`${where}: expected an integer in ${min}..${max}`);
  return v as number;
}
function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new RangeError(`${where}: expected a string`);
  return v;
}
function hash(v: unknown, where: string): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
    throw new RangeError(`${where}: expected 64 lowercase hex digits`);
  return v;
}

const pt = (o: Obj, k: string, w: string) => pointFromHex(o[k], `${w}.${k}`);
const sc = (o: Obj, k: string, w: string) => scalarFromHex(o[k], `${w}.${k}`);

function schnorr(v: unknown, w: string): SchnorrProof {
  const o = obj(v, w);
  return { commitment: pt(o, 'commitment', w), response: sc(o, 'response', w) };
}

function range(v: unknown, w: string): RangeProof {
  return {
    branches: arr(v, w).map((bv, j) => {
      const wj = `${w}[${j}]`;
      const o = obj(bv, wj);
      return {
        a: pt(o, 'a', wj),
        b: pt(o, 'b', wj),
        challenge: sc(o, 'c', wj),
        response: sc(o, 'v', wj),
      };
    }),
  };
}

function chaumPedersen(v: unknown, w: string): ChaumPedersenProof {
  const o = obj(v, w);
  return { a: pt(o, 'a', w), b: pt(o, 'b', w), response: sc(o, 'v', w) };
}

function ciphertext(o: Obj, w: string): Ciphertext {
  return { alpha: pt(o, 'alpha', w), beta: pt(o, 'beta', w) };
}

function choices(v: unknown, w: string): Choices {
  const o = obj(v, w);
  const out: Record<string, Record<string, number>> = {};
  for (const [cid, sv] of Object.entries(o)) {
    const so = obj(sv, `${w}.${cid}`);
    out[cid] = {};
    for (const [sid, n] of Object.entries(so))
      out[cid][sid] = int(n, `${w}.${cid}.${sid}`, 0, 1_000_000);
  }
  return out;
}

export function parseBallot(v: unknown, w: string): EncryptedBallot {
  const o = obj(v, w);
  const state = o.state;
  if (state !== 'cast' && state !== 'spoiled')
    throw new RangeError(`${w}.state: expected "cast" or "spoiled"`);
  const contests = arr(o.contests, `${w}.contests`).map((cv, ci): EncryptedContest => {
    const wc = `${w}.contests[${ci}]`;
    const c = obj(cv, wc);
    return {
      id: str(c.id, `${wc}.id`),
      selections: arr(c.selections, `${wc}.selections`).map((sv, si) => {
        const ws = `${wc}.selections[${si}]`;
        const s = obj(sv, ws);
        // A selection has a range proof (contests without a kind) or bits (cumulative).
        if (s.bits !== undefined)
          return {
            id: str(s.id, `${ws}.id`),
            ct: ciphertext(s, ws),
            bits: arr(s.bits, `${ws}.bits`).map((bv, i) => {
              const wb = `${ws}.bits[${i}]`;
              const b = obj(bv, wb);
              return { ct: ciphertext(b, wb), proof: range(b.proof, `${wb}.proof`) };
            }),
          };
        return {
          id: str(s.id, `${ws}.id`),
          ct: ciphertext(s, ws),
          proof: range(s.proof, `${ws}.proof`),
        };
      }),
      ...(c.total !== undefined
        ? { total: chaumPedersen(c.total, `${wc}.total`) }
        : { proof: range(c.proof, `${wc}.proof`) }),
    };
  });
  const b: EncryptedBallot = {
    id: str(o.id, `${w}.id`),
    device: str(o.device, `${w}.device`),
    previousCode: hash(o.previousCode, `${w}.previousCode`),
    code: hash(o.code, `${w}.code`),
    contests,
    state: state as BallotState,
  };
  if (o.spoiled !== undefined) {
    const sp = obj(o.spoiled, `${w}.spoiled`);
    b.spoiled = {
      nonceSeed: hash(sp.nonceSeed, `${w}.spoiled.nonceSeed`),
      choices: choices(sp.choices, `${w}.spoiled.choices`),
    };
  }
  return b;
}

export function parseGuardian(v: unknown, w: string): GuardianPublic {
  const o = obj(v, w);
  return {
    index: int(o.index, `${w}.index`, 1, 1000),
    commitments: arr(o.commitments, `${w}.commitments`).map((h, j) =>
      pointFromHex(h, `${w}.commitments[${j}]`),
    ),
    proofs: arr(o.proofs, `${w}.proofs`).map((p, j) => schnorr(p, `${w}.proofs[${j}]`)),
    communicationKey: pt(o, 'communicationKey', w),
    communicationProof: schnorr(o.communicationProof, `${w}.communicationProof`),
  };
}

export function parseDecryptionShare(dv: unknown, wd: string, n: number): DecryptionShare {
  const d = obj(dv, wd);
  const p = obj(d.proof, `${wd}.proof`);
  return {
    guardian: int(d.guardian, `${wd}.guardian`, 1, n),
    share: pt(d, 'share', wd),
    proof: {
      a: pt(p, 'a', `${wd}.proof`),
      b: pt(p, 'b', `${wd}.proof`),
      response: sc(p, 'v', `${wd}.proof`),
    },
  };
}

/** The fields of a record before its ballots (./verify-chunks.ts sends them to each worker). */
export type RecordHead = Pick<
  ElectionRecord,
  'manifest' | 'n' | 't' | 'hashes' | 'ceremony' | 'devices'
>;
/** The fields after its ballots. */
export type RecordTail = Pick<ElectionRecord, 'tally' | 'jointKey'>;

/**
 * A record's structure, every element decoded.
 * @throws {RangeError} naming the first field that is missing or malformed.
 */
export function parseRecord(json: unknown, w = 'record'): ElectionRecord {
  const head = parseRecordHead(json, w);
  const ballots = recordBallots(json, w).map((b, i) => parseBallot(b, `${w}.ballots[${i}]`));
  return { ...head, ballots, ...parseRecordTail(json, head.n, w) };
}

/** The record's ballots, not yet parsed (parseBallot each, named `${w}.ballots[i]`). */
export function recordBallots(json: unknown, w = 'record'): unknown[] {
  return arr(obj(json, w).ballots, `${w}.ballots`);
}

/** Parses the fields that come before the ballots, in the order parseRecord checks them. */
export function parseRecordHead(json: unknown, w = 'record'): RecordHead {
  const o = obj(json, w);
  if (o.format !== RECORD_FORMAT) throw new RangeError(`${w}.format: expected "${RECORD_FORMAT}"`);
  if (o.group !== GROUP) throw new RangeError(`${w}.group: expected "${GROUP}"`);
  const manifest = parseManifest(o.manifest, `${w}.manifest`);
  const n = int(o.guardians, `${w}.guardians`, 1, 1000);
  const t = int(o.threshold, `${w}.threshold`, 1, n);
  const h = obj(o.hashes, `${w}.hashes`);
  const hashes: ElectionHashes = {
    parameters: hash(h.parameters, `${w}.hashes.parameters`),
    manifest: hash(h.manifest, `${w}.hashes.manifest`),
    base: hash(h.base, `${w}.hashes.base`),
    extendedBase: hash(h.extendedBase, `${w}.hashes.extendedBase`),
  };
  const cer = obj(o.ceremony, `${w}.ceremony`);
  const ceremony: CeremonyRecord = {
    guardians: arr(cer.guardians, `${w}.ceremony.guardians`).map((g, i) =>
      parseGuardian(g, `${w}.ceremony.guardians[${i}]`),
    ),
    complaints: arr(cer.complaints, `${w}.ceremony.complaints`).map((cv, i): Complaint => {
      const c = obj(cv, `${w}.ceremony.complaints[${i}]`);
      return {
        by: int(c.by, `${w}.ceremony.complaints[${i}].by`, 1, n),
        against: int(c.against, `${w}.ceremony.complaints[${i}].against`, 1, n),
      };
    }),
    answers: arr(cer.answers, `${w}.ceremony.answers`).map((av, i): ComplaintAnswer => {
      const wa = `${w}.ceremony.answers[${i}]`;
      const a = obj(av, wa);
      return {
        dealer: int(a.dealer, `${wa}.dealer`, 1, n),
        recipient: int(a.recipient, `${wa}.recipient`, 1, n),
        share: sc(a, 'share', wa),
      };
    }),
    qualified: arr(cer.qualified, `${w}.ceremony.qualified`).map((q, i) =>
      int(q, `${w}.ceremony.qualified[${i}]`, 1, n),
    ),
  };
  const devices = arr(o.devices, `${w}.devices`).map((dv, i) => {
    const d = obj(dv, `${w}.devices[${i}]`);
    return {
      id: str(d.id, `${w}.devices[${i}].id`),
      closingCode: hash(d.closingCode, `${w}.devices[${i}].closingCode`),
    };
  });
  return { manifest, n, t, hashes, ceremony, devices };
}

/** Parses the fields that come after the ballots (n: the number of guardians, from the head). */
export function parseRecordTail(json: unknown, n: number, w = 'record'): RecordTail {
  const o = obj(json, w);
  const tallyObj = obj(o.tally, `${w}.tally`);
  const tally: DecryptedTally = {
    contests: arr(tallyObj.contests, `${w}.tally.contests`).map((cv, ci) => {
      const wc = `${w}.tally.contests[${ci}]`;
      const c = obj(cv, wc);
      return {
        id: str(c.id, `${wc}.id`),
        selections: arr(c.selections, `${wc}.selections`).map((sv, si) => {
          const ws = `${wc}.selections[${si}]`;
          const s = obj(sv, ws);
          return {
            id: str(s.id, `${ws}.id`),
            ct: ciphertext(s, ws),
            value: int(s.value, `${ws}.value`),
            shares: arr(s.shares, `${ws}.shares`).map((dv, di) =>
              parseDecryptionShare(dv, `${ws}.shares[${di}]`, n),
            ),
          };
        }),
      };
    }),
  };
  return { tally, jointKey: pt(o, 'jointKey', w) };
}
