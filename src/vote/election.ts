/**
 * An election's public context: its manifest, guardian count and threshold,
 * the key ceremony's public transcript, the joint key, and the chain of
 * hashes that binds every later proof to all of it (ElectionGuard 2.0,
 * §3.1.2 and §3.2.3: parameter base hash H_P, manifest hash H_M, base hash
 * H_B, extended base hash H_E).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  jointKey,
  publicShare,
  resolveCeremony,
  type CeremonyParams,
  type Complaint,
  type ComplaintAnswer,
  type GuardianPublic,
} from '../he/elgamal/dkg.js';
import { PublicKey } from '../he/elgamal/elgamal.js';
import { G, type Point } from '../he/elgamal/group.js';
import { hashToBytes } from '../he/elgamal/hash.js';
import { canonicalManifest, type Manifest } from './manifest.js';

export const RECORD_FORMAT = 'entente-election-record/1';
export const GROUP = 'ristretto255';

export interface ElectionHashes {
  readonly parameters: string;
  readonly manifest: string;
  readonly base: string;
  readonly extendedBase: string;
}

/** H_P, H_M, H_B: everything fixed before the key ceremony. */
export function baseHashes(manifest: Manifest, n: number, t: number) {
  const parameters = bytesToHex(hashToBytes('entente/vote/parameters', RECORD_FORMAT, GROUP, G));
  const manifestHash = bytesToHex(
    hashToBytes('entente/vote/manifest', parameters, canonicalManifest(manifest)),
  );
  const base = bytesToHex(hashToBytes('entente/vote/base', parameters, manifestHash, n, t));
  return { parameters, manifest: manifestHash, base };
}

/** The context every ceremony proof and share is bound to. */
export function ceremonyParams(base: string, n: number, t: number): CeremonyParams {
  return { n, t, context: [base] };
}

/** H_E: the base hash extended with the election key and every qualified guardian's commitments. */
export function extendedBaseHash(
  base: string,
  key: Point,
  publics: readonly GuardianPublic[],
  qualified: readonly number[],
): string {
  const parts: (Point | string | number)[] = [base, key];
  for (const i of qualified) {
    parts.push(i);
    parts.push(...publics.find((p) => p.index === i)!.commitments);
  }
  return bytesToHex(hashToBytes('entente/vote/extended-base', ...parts));
}

/** The key ceremony's public transcript. */
export interface CeremonyRecord {
  readonly guardians: readonly GuardianPublic[];
  readonly complaints: readonly Complaint[];
  readonly answers: readonly ComplaintAnswer[];
  readonly qualified: readonly number[];
}

/** Everything a device, a guardian or a verifier needs to know about the election. */
export class Election {
  readonly key: PublicKey;
  readonly hashes: ElectionHashes;
  private readonly shareCache = new Map<number, Point>();

  constructor(
    readonly manifest: Manifest,
    readonly n: number,
    readonly t: number,
    readonly ceremony: CeremonyRecord,
  ) {
    const b = baseHashes(manifest, n, t);
    const K = jointKey(ceremony.guardians, ceremony.qualified);
    this.key = new PublicKey(K);
    this.hashes = {
      ...b,
      extendedBase: extendedBaseHash(b.base, K, ceremony.guardians, ceremony.qualified),
    };
  }

  /**
   * Builds the context from a ceremony transcript, deciding the qualified
   * set from the transcript itself.
   */
  static fromCeremony(
    manifest: Manifest,
    n: number,
    t: number,
    guardians: readonly GuardianPublic[],
    complaints: readonly Complaint[],
    answers: readonly ComplaintAnswer[],
  ): Election {
    const b = baseHashes(manifest, n, t);
    const outcome = resolveCeremony(guardians, complaints, answers, ceremonyParams(b.base, n, t));
    if (outcome.qualified.length < t)
      throw new RangeError(
        `key ceremony: only ${outcome.qualified.length} guardians qualified, ${t} are needed (${outcome.disqualified
          .map((d) => `guardian ${d.index}: ${d.reason}`)
          .join('; ')})`,
      );
    return new Election(manifest, n, t, {
      guardians,
      complaints,
      answers,
      qualified: outcome.qualified,
    });
  }

  /** z_l·G for guardian l. */
  publicShare(l: number): Point {
    let p = this.shareCache.get(l);
    if (!p) {
      p = publicShare(this.ceremony.guardians, this.ceremony.qualified, l);
      this.shareCache.set(l, p);
    }
    return p;
  }
}
