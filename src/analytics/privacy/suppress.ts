/**
 * Minimum cell size, enforced inside MPC. Every released value comes with its
 * support: the (secret) number of records it was computed from, per element
 * or for the whole value. The comparison support < k happens on secret
 * shares; what is opened is only the flag and the value masked by it
 * (flag ? 0 : value), so a suppressed value is never opened, and the count
 * behind a released one is not opened unless it is itself a released value.
 *
 * When noise is added for differential privacy, the support compared with k
 * must be the noisy count (the caller passes it): comparing the exact count
 * would make the suppression flag itself a non-private function of the data.
 *
 * Assumptions: those of the suite. Leaks: the flags (whether each cell has
 * fewer than k records), by design.
 */
import { SecretMisuseError } from '../../runtime/errors.js';
import type { Session } from '../../api/session.js';
import { SecretFixed, SecretInt } from '../../api/secret.js';

/** A secret value (scalar or vector) and the secret record counts behind it. */
export interface Guarded {
  readonly value: SecretInt | SecretFixed;
  /**
   * Records behind each element (same length as `value`), or behind the
   * whole value (a scalar). Every count must reach k for the value to be released.
   */
  readonly support: SecretInt;
}

/** What a guarded value reveals: each element, or null where it was suppressed. */
export interface Released {
  readonly values: (number | null)[];
  /** Per element: suppressed because its support was below k. */
  readonly suppressed: boolean[];
}

/**
 * Reveals each guarded value to every party, suppressing elements whose
 * support is below `k` inside MPC (k = 0 releases everything). All values
 * are opened in one round after the comparisons.
 * @example
 *   const [mean] = await releaseGuarded(s, [{ value: sum.mul(1 / n), support: count }], 10);
 * @throws {RangeError} for a negative k or a support of the wrong length;
 *   {SecretMisuseError} for a secret of another session.
 */
export async function releaseGuarded(
  s: Session,
  items: readonly Guarded[],
  k: number,
): Promise<Released[]> {
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`releaseGuarded: k must be a non-negative integer, got ${k}`);
  for (const [i, g] of items.entries()) {
    if (!g.value.belongsTo(s) || !g.support.belongsTo(s))
      throw new SecretMisuseError(`releaseGuarded: item ${i} belongs to another session`);
    if (g.support.length !== 1 && g.support.length !== g.value.length)
      throw new RangeError(
        `releaseGuarded: item ${i} has ${g.value.length} values but ${g.support.length} supports`,
      );
  }
  const pending = items.map((g) => {
    if (k === 0) return { flag: undefined, masked: g.value };
    const flag = g.support.lt(k);
    const zero =
      g.value instanceof SecretFixed
        ? s.constant(g.value.type, 0)
        : s.constant((g.value as SecretInt).type, 0);
    // flag ? 0 : value, elementwise (a scalar flag masks the whole vector).
    const masked =
      g.value instanceof SecretFixed
        ? flag.select(zero as SecretFixed, g.value)
        : flag.select(zero as SecretInt, g.value as SecretInt);
    return { flag, masked };
  });
  const opened = await Promise.all(
    pending.map(async ({ flag, masked }) => {
      const [f, v] = await Promise.all([flag?.reveal(), reveal(masked)]);
      return { f, v };
    }),
  );
  return opened.map(({ f, v }) => {
    const suppressed = v.map((_, i) => (f === undefined ? false : f.length === 1 ? f[0]! : f[i]!));
    return { values: v.map((x, i) => (suppressed[i] ? null : x)), suppressed };
  });
}

async function reveal(x: SecretInt | SecretFixed): Promise<number[]> {
  if (x instanceof SecretFixed) return x.reveal();
  return x.revealNumbers();
}
