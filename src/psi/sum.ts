/**
 * PSI-sum in the program API: the sum of one party's values over the
 * intersection, and the intersection's size, as Secrets of the session, so
 * the rest of the engine computes on them; released only under a policy
 * checked inside MPC (a minimum intersection size, optional discrete
 * Laplace noise from src/analytics/privacy).
 *
 * The shares come from the ECDH protocol's sum mode (src/psi/ecdh.ts):
 * additive shares modulo 2^64 at the two parties, entered as inputs of the
 * session and added, which is exact in a suite over Z_2^64. Leakage beyond
 * the set sizes: the party that does not hold the values learns the
 * intersection's size (as in Ion et al. 2020); the valued party learns
 * nothing until the release, and then only what the release reveals.
 */
import type { SecretInt } from '../api/secret.js';
import type { Session } from '../api/session.js';
import { int, type IntType } from '../api/types.js';
import { addDiscreteLaplace, planDiscreteLaplace } from '../analytics/privacy/dp.js';
import { ecdhPsi } from './ecdh.js';

export interface PsiSumOptions {
  /** The party whose values are summed. */
  readonly valuesFrom: string;
  /** The other party (it learns the intersection's size). */
  readonly other: string;
  /** The declared type of each value. */
  readonly type: IntType;
}

export interface PsiSum {
  /** Sum of the values over the intersection (bound: the type's bits plus log2 of the set size). */
  readonly sum: SecretInt;
  /** The intersection's size. */
  readonly count: SecretInt;
}

/** The release policy, checked inside MPC. */
export interface PsiReleasePolicy {
  /** Reveal nothing unless the intersection has at least this many elements. */
  readonly minIntersection?: number;
  /** Discrete Laplace noise on the sum (epsilon, and the largest |value| as sensitivity). */
  readonly dp?: { readonly epsilon: number; readonly sensitivity: number };
  /** Also reveal the (noised, if dp is set, with its own draw) count. Default false. */
  readonly revealCount?: boolean;
}

/** The policy refused the release; says which rule, never the size. */
export class PsiPolicyError extends Error {
  override readonly name = 'PsiPolicyError';
}

/**
 * Runs the ECDH PSI-sum between `valuesFrom` and `other` and returns the
 * sum and the count as secrets of `s`. Both parties call it (same order as
 * any other session call); `values` (one per digest) at `valuesFrom` only.
 * @throws {RangeError} for a session that is not two parties over Z_2^64, or bad inputs.
 */
export async function psiSum(
  s: Session,
  digests: Uint8Array,
  values: ArrayLike<number | bigint> | undefined,
  opts: PsiSumOptions,
): Promise<PsiSum> {
  if (s.parties.length !== 2 || s.capacity !== 64)
    throw new RangeError(
      `psiSum: needs a two-party session over Z_2^64 (e.g. semi2k), got ${s.parties.length} parties of '${s.suiteName}'`,
    );
  const S = s.indexOf(opts.valuesFrom);
  const R = s.indexOf(opts.other);
  const me = s.party.index;
  const n = digests.length / 16;
  let vals: BigInt64Array | undefined;
  if (me === S) {
    if (!values || values.length !== n)
      throw new RangeError(
        `psiSum: expected ${n} values at '${opts.valuesFrom}', got ${values?.length ?? 'none'}`,
      );
    const lo = -(1n << BigInt(opts.type.bits - 1));
    const hi = (1n << BigInt(opts.type.bits - 1)) - 1n;
    vals = new BigInt64Array(n);
    for (let k = 0; k < n; k++) {
      const v = BigInt(values[k]!);
      if (v < lo || v > hi)
        throw new RangeError(`psiSum: value ${k} is outside int(${opts.type.bits})`);
      vals[k] = v;
    }
  }
  const out = await ecdhPsi(s.party, digests, {
    receiver: R,
    sender: S,
    mode: 'sum',
    values: vals,
  });
  // The set sizes are public to both: the bound of the sum is public.
  const nS = me === S ? n : out.peerSize;
  const logN = Math.ceil(Math.log2(nS + 1));
  // Both parties know nS now, so both refuse alike: a sum that could wrap
  // modulo 2^64 would be released wrong, never refused later.
  if (opts.type.bits + logN > 64)
    throw new RangeError(
      `psiSum: sums of int(${opts.type.bits}) values over up to ${nS} elements can exceed 64 bits; use a value type of at most ${64 - logN} bits`,
    );
  // The PSI's own output parts (ecdhPsi's `shares` field), not a secret's shares.
  /* eslint-disable no-restricted-syntax */
  const mine = BigInt64Array.of(
    BigInt.asIntN(64, out.shares!.count),
    BigInt.asIntN(64, out.shares!.sum),
  );
  /* eslint-enable no-restricted-syntax */
  // The parts sum to (count, sum) modulo 2^64.
  const both = s.fromAdditiveParts(int(64), [s.parties[R]!, s.parties[S]!], mine, 2);
  // Public bounds: at most nS matches, each value within the declared type.
  const countBits = Math.max(2, Math.min(64, logN + 1));
  const sumBits = opts.type.bits + logN;
  return {
    count: both.at(0).assumeBound(countBits),
    sum: both.at(1).assumeBound(sumBits),
  };
}

/**
 * Releases a PSI-sum under `policy`: the minimum size is compared inside
 * MPC and only its outcome (one bit) is opened; noise is drawn inside MPC.
 * @throws {PsiPolicyError} when the intersection is below the minimum (its size stays secret).
 */
export async function releasePsiSum(
  s: Session,
  r: PsiSum,
  policy: PsiReleasePolicy,
): Promise<{ sum: bigint; count?: bigint }> {
  if (policy.minIntersection !== undefined) {
    const min = policy.minIntersection;
    if (!Number.isSafeInteger(min) || min < 0)
      throw new RangeError(
        `releasePsiSum: minIntersection must be a non-negative integer, got ${min}`,
      );
    const [ok] = await r.count.ge(min).reveal();
    if (!ok)
      throw new PsiPolicyError(
        `PSI-sum not released: the intersection is smaller than the minimum of ${min} (its size is not revealed)`,
      );
  }
  let sum = r.sum;
  let count = r.count;
  if (policy.dp) {
    sum = addDiscreteLaplace(s, sum, planDiscreteLaplace(policy.dp.epsilon, policy.dp.sensitivity));
    if (policy.revealCount)
      count = addDiscreteLaplace(s, count, planDiscreteLaplace(policy.dp.epsilon, 1));
  }
  const [sv] = await sum.reveal();
  if (!policy.revealCount) return { sum: sv! };
  const [cv] = await count.reveal();
  return { sum: sv!, count: cv! };
}
