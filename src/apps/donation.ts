/**
 * A fair donation split (`entente demo donation`, docs/APPS.md): a group agrees a total;
 * each person pays in proportion to income, with a floor and a cap, and learns only
 * their own share; nobody learns anyone else's income or share.
 *
 * The rule (amounts in cents, incomes in whole currency units; all integer, exact):
 *   - lambda* is the largest lambda in {0, ..., 2^67 - 1} (cents per unit of income,
 *     counted in units of 2^-40) with  sum_i clamp(lambda x_i, F 2^40, C 2^40) <= T 2^40;
 *   - base_i = floor(clamp(lambda* x_i, F 2^40, C 2^40) / 2^40) cents;
 *   - the r = T - sum_i base_i cents left by the rounding go one each to the first r
 *     people (in contribution order) whose base is below the cap;
 *   - the split is valid when the shares add up to T. It is not when the incomes cannot
 *     carry T (say everyone's income is 0 and T > n (F + 1)): the floor binds everyone
 *     with income 0 whatever lambda, the cap everyone else; nothing but that fact is
 *     released.
 * Why the split is valid whenever lambda* < 2^67 - 1: write v_i = clamp(lambda* x_i) in
 * units of 2^-40 cents and S = sum_i v_i <= T 2^40. Raising lambda* by one unit pushes
 * the sum over T 2^40 and raises each v_i by at most x_i <= 2^24 - 1, so
 * 0 <= T 2^40 - S < n 2^24 <= 2^40 for n <= 2^16: the gap is below one cent. Then
 * r = (T - S / 2^40) + sum_i frac(v_i / 2^40) < 1 + u, where u counts the people strictly
 * between floor and cap with v_i not a whole cent (the only ones with a fraction), all
 * below the cap; r is an integer, so r <= u and there are cents enough for the rounding.
 * (With units of 2^-32 the gap was below n 2^-8 cents, which needed n < 256.)
 *
 * How: each person contributes (src/api/contributions.ts) their income and an 80-bit
 * one-time mask, as additive parts sealed to three compute nodes, which run the shamir
 * suite over F_p, p = 2^127 - 1 (semi-honest, honest majority: one node learns
 * nothing). The search for lambda* is oblivious (67 rounds of a bitwise binary search,
 * every comparison secret). lambda x_i would reach 2^91, beyond what even the 127-bit
 * field compares (85 bits with three nodes), so the search never forms it: it keeps
 * P_i = min(lambda x_i, C 2^40) and adds steps min(2^j x_i, C 2^40), which change no
 * clamp (once a value reaches the cap, every larger lambda keeps it there), so every
 * compared value stays below 2^69; the sum against T 2^40 stays below n 2^67 <= 2^83.
 * The nodes then open to each other only whether the shares add up to T and, if so,
 * each person's share plus that person's mask: the person, who alone knows the mask,
 * subtracts it; to the nodes the published number is within 2^-53 of uniform
 * (share < 2^27, mask uniform below 2^80). This is the per-person reveal for people
 * who are not parties of the computation (a Secret's revealTo opens to parties only).
 *
 * The incomes are synthetic, from a seed (a small counter-based generator: not for
 * secrets, these people are made up); the masks come from the CSPRNG.
 */
import {
  collectContributions,
  contribute,
  contributionKeyPair,
  publicBig,
  type Contribution,
  type ContributionSchema,
} from '../api/contributions.js';
import { runLocal } from '../api/run.js';
import type { Session } from '../api/session.js';
import type { CryptoProvider } from '../random/provider.js';
import type { Shares, Suite } from '../suites/suite.js';
import { seededUniform } from './hospitals.js';

export const DONATION_NODES = ['node-1', 'node-2', 'node-3'] as const;
/** Incomes in whole currency units, below 2^24 (16.7 million). */
export const MAX_INCOME = 2 ** 24 - 1;
/** Floor, cap and every share in cents, below 2^27 (1.34 million units). */
export const MAX_CENTS = 2 ** 27 - 1;
/**
 * At most this many people: the rounding argument above holds up to 2^16; past a few
 * thousand the nodes' time (linear in n, 67 batches of 2n comparisons) is the limit.
 */
export const MAX_PEOPLE = 10_000;
const FRAC = 40n;
/** lambda < 2^(27 + 40): the cap C 2^40 < 2^67 is reached by any income >= 1. */
const LAMBDA_BITS = 67;
const MASK_BITS = 40;
/** Comparisons of values below 2^68 (P_i plus a step, both at most C 2^40). */
const WIDE = 70;
/** Comparisons of sums: at most n C 2^40 < 2^(14 + 27 + 40) with n <= 10,000. */
const NARROW = 83;
/** Comparisons of incomes (< 2^24) with public thresholds. */
const INCOME = 26;

export const DONATION_SCHEMA: ContributionSchema = {
  collection: 'donation',
  fields: [
    { name: 'income', min: 0, max: MAX_INCOME },
    { name: 'maskLow', min: 0, max: 2 ** MASK_BITS - 1 },
    { name: 'maskHigh', min: 0, max: 2 ** MASK_BITS - 1 },
  ],
};

/** The agreed total, floor and cap, in cents. */
export interface DonationRule {
  readonly total: number;
  readonly floor: number;
  readonly cap: number;
}

export interface Person {
  readonly id: string;
  readonly income: number;
}

/** A rule that cannot be applied to this many people; names the bound. */
export class DonationRuleError extends RangeError {
  override readonly name = 'DonationRuleError';
}

/** @throws {DonationRuleError} unless 0 <= floor <= cap <= MAX_CENTS and n floor <= total <= n cap. */
export function checkRule(rule: DonationRule, people: number): void {
  const { total, floor, cap } = rule;
  if (![total, floor, cap].every(Number.isSafeInteger))
    throw new DonationRuleError('donation: total, floor and cap must be whole cents');
  if (people < 1 || people > MAX_PEOPLE)
    throw new DonationRuleError(`donation: 1 to ${MAX_PEOPLE} people, got ${people}`);
  if (floor < 0 || floor > cap || cap > MAX_CENTS)
    throw new DonationRuleError(
      `donation: need 0 <= floor <= cap <= ${MAX_CENTS} cents, got floor ${floor}, cap ${cap}`,
    );
  if (total < people * floor || total > people * cap)
    throw new DonationRuleError(
      `donation: the total ${total} must lie between ${people} x floor = ${people * floor} and ${people} x cap = ${people * cap} cents`,
    );
}

/** The rule in the clear (exact, with bigints): shares in cents, and whether they add up. */
export function donationPlaintext(
  incomes: readonly number[],
  rule: DonationRule,
): { shares: number[]; valid: boolean } {
  checkRule(rule, incomes.length);
  const x = incomes.map(BigInt);
  const lo = BigInt(rule.floor) << FRAC;
  const hi = BigInt(rule.cap) << FRAC;
  const target = BigInt(rule.total) << FRAC;
  const clamp = (v: bigint) => (v < lo ? lo : v > hi ? hi : v);
  const sum = (lam: bigint) => x.reduce((a, xi) => a + clamp(lam * xi), 0n);
  let lam = 0n;
  for (let j = LAMBDA_BITS - 1; j >= 0; j--) {
    const cand = lam + (1n << BigInt(j));
    if (sum(cand) <= target) lam = cand;
  }
  const v = x.map((xi) => clamp(lam * xi));
  const base = v.map((vi) => vi >> FRAC);
  let r = BigInt(rule.total) - base.reduce((a, b) => a + b, 0n);
  const shares = base.map((b, i) => {
    if (r > 0n && v[i]! < hi) {
      r--;
      return Number(b) + 1;
    }
    return Number(b);
  });
  return { shares, valid: shares.reduce((a, b) => a + b, 0) === rule.total };
}

/** Synthetic incomes: log-normal around 40,000 (sd of the log 0.8), one in ten at 0. */
export function donationPeople(n: number, seed: number): Person[] {
  const u = seededUniform(seed);
  return Array.from({ length: n }, (_, i) => {
    const zero = u() < 0.1;
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    const income = zero ? 0 : Math.min(MAX_INCOME, Math.round(40_000 * Math.exp(0.8 * z)));
    return { id: `person-${String(i + 1).padStart(2, '0')}`, income };
  });
}

const range = (a: number, b: number) => Uint32Array.from({ length: b - a }, (_, i) => a + i);

/** What every node opens, and so all it learns beyond the collection's public outcome. */
export interface NodeView {
  readonly accepted: readonly string[];
  /** Whether the shares add up to the total. */
  readonly valid: boolean;
  /** Per accepted person, share + mask (empty when not valid). */
  readonly published: readonly bigint[];
}

/** The nodes' program (shamir, three nodes): the oblivious search, the shares, the check. */
async function nodeProgram(
  s: Session,
  envelopes: readonly Contribution[],
  privateKey: Uint8Array,
  rule: DonationRule,
): Promise<NodeView> {
  const suite: Suite = s.suite;
  if (suite.compareCapacity < WIDE)
    throw new RangeError(
      `donation: needs ${WIDE}-bit comparisons (shamir with three nodes), ${suite.name} has ${suite.compareCapacity}`,
    );
  const c = await collectContributions(s, DONATION_SCHEMA, envelopes, privateKey);
  const m = c.accepted.length;
  checkRule(rule, m);
  const [x, maskLow, maskHigh] = (await Promise.all(
    ['income', 'maskLow', 'maskHigh'].map((f) => c.values[f]!.shares),
  )) as [Shares, Shares, Shares];
  const lo = publicBig(suite, m, BigInt(rule.floor) << FRAC);
  const hi = publicBig(suite, m, BigInt(rule.cap) << FRAC);
  const target = publicBig(suite, 1, BigInt(rule.total) << FRAC);
  const one = (len: number) => new BigInt64Array(len).fill(1n);
  const broadcast = (a: Shares, len: number) => suite.gather(a, new Uint32Array(len));
  const halves = (a: Shares, len: number) => [
    suite.gather(a, range(0, len)),
    suite.gather(a, range(len, 2 * len)),
  ];

  // clamp(v) = v + [v < lo] (lo - v) + [v > hi] (hi - v); the two cases exclude each other.
  // Also min(v, hi) = v + [v > hi] (hi - v), which the search keeps.
  const clampAndMin = async (v: Shares) => {
    const bits = await suite.ltz(suite.concat([suite.sub(v, lo), suite.sub(hi, v)]), WIDE);
    const [a, b] = halves(
      await suite.mul(bits, suite.concat([suite.sub(lo, v), suite.sub(hi, v)])),
      m,
    );
    return { clamped: suite.add(v, suite.add(a!, b!)), capped: suite.add(v, b!) };
  };

  // The steps min(2^j x_i, hi): 2^j x_i < 2^(j + 24) <= hi's bound 2^67 for j <= 43;
  // above, 2^j x_i <= hi iff x_i <= floor(hi / 2^j), one batch of comparisons of incomes.
  const hiBig = BigInt(rule.cap) << FRAC;
  const firstCapped = 67 - 24 + 1;
  const cappedSteps = LAMBDA_BITS - firstCapped;
  const thresholds = new BigInt64Array(m * cappedSteps);
  for (let t = 0; t < cappedSteps; t++)
    thresholds.fill(-((hiBig >> BigInt(firstCapped + t)) + 1n), t * m, (t + 1) * m);
  const fits = await suite.ltz(
    suite.addPublic(suite.concat(Array.from({ length: cappedSteps }, () => x)), thresholds),
    INCOME,
  );
  // step_j = hi + [fits] (2^j x - hi)
  const his = publicBig(suite, m * cappedSteps, hiBig);
  const wide = suite.concat(
    Array.from({ length: cappedSteps }, (_, t) =>
      suite.mulScalar(x, 1n << BigInt(firstCapped + t)),
    ),
  );
  const capped = suite.add(his, await suite.mul(fits, suite.sub(wide, his)));
  const stepOf = (j: number) =>
    j < firstCapped
      ? suite.mulScalar(x, 1n << BigInt(j))
      : suite.gather(capped, range((j - firstCapped) * m, (j - firstCapped + 1) * m));

  // Bitwise binary search for lambda*, kept secret, from the top bit down:
  // P = min(lambda x, hi), whose clamp is lambda x's (see the module comment).
  let p = suite.constant(new BigInt64Array(m));
  for (let j = LAMBDA_BITS - 1; j >= 0; j--) {
    const { clamped, capped: next } = await clampAndMin(suite.add(p, stepOf(j)));
    const total = suite.sumGroups(clamped, m);
    // take = [sum <= T 2^40] = 1 - [T 2^40 - sum < 0]
    const over = await suite.ltz(suite.sub(target, total), NARROW);
    const take = suite.addPublic(suite.neg(over), one(1));
    p = suite.add(p, await suite.mul(broadcast(take, m), suite.sub(next, p)));
  }

  // The shares in cents: floor(v / 2^40), from a truncation off by at most one, corrected.
  const { clamped: v } = await clampAndMin(p);
  const q = await suite.trunc(v, Number(FRAC), WIDE);
  const d = suite.sub(v, suite.mulScalar(q, 1n << FRAC));
  const unit = publicBig(suite, m, (1n << FRAC) - 1n);
  // [d < 0], [d > 2^40 - 1], and [v < hi] (below the cap), in one batch.
  const flags = await suite.ltz(suite.concat([d, suite.sub(unit, d), suite.sub(v, hi)]), WIDE);
  const under = suite.gather(flags, range(2 * m, 3 * m));
  const [tooHigh, tooLow] = halves(suite.gather(flags, range(0, 2 * m)), m);
  const base = suite.add(suite.sub(q, tooHigh!), tooLow!);
  // The cents left by rounding, r, go to the first r people below the cap.
  const left = suite.addPublic(
    suite.neg(suite.sumGroups(base, m)),
    BigInt64Array.of(BigInt(rule.total)),
  );
  const prefix: Shares[] = [];
  let running = suite.gather(under, Uint32Array.of(0));
  prefix.push(running);
  for (let i = 1; i < m; i++) {
    running = suite.add(running, suite.gather(under, Uint32Array.of(i)));
    prefix.push(running);
  }
  // eligible = [prefix_i <= r] = 1 - [r - prefix_i < 0]
  const beyond = await suite.ltz(suite.sub(broadcast(left, m), suite.concat(prefix)), NARROW);
  const eligible = suite.addPublic(suite.neg(beyond), one(m));
  const share = suite.add(base, await suite.mul(under, eligible));

  // The check, public: do the shares add up to the total?
  const gap = suite.addPublic(suite.sumGroups(share, m), BigInt64Array.of(BigInt(-rule.total)));
  const all = s.parties.map((_, i) => i);
  const valid = (await suite.open(await suite.eqz(gap, NARROW), all))![0] === 1n;
  if (!valid) return { accepted: c.accepted, valid, published: [] };
  const mask = suite.add(maskLow, suite.mulScalar(maskHigh, 1n << BigInt(MASK_BITS)));
  const published = (await suite.open(suite.add(share, mask), all))!;
  return { accepted: c.accepted, valid, published };
}

export interface DonationOptions {
  readonly people?: number;
  readonly seed?: number;
  /** Incomes to use instead of synthetic ones (tests, edges). */
  readonly incomes?: readonly number[];
  readonly rule?: DonationRule;
  /** Masks to use instead of fresh ones (tests only: a zero mask shows what the mask hides). */
  readonly masks?: readonly bigint[];
}

export interface DonationRun {
  readonly people: readonly Person[];
  readonly rule: DonationRule;
  /** Each person's share as that person decodes it alone (published - own mask). */
  readonly secure: { readonly valid: boolean; readonly shares: ReadonlyMap<string, number> };
  readonly plaintext: ReturnType<typeof donationPlaintext>;
  /** What each node opened (the same at every node). */
  readonly views: readonly NodeView[];
  readonly masks: ReadonlyMap<string, bigint>;
  readonly seconds: number;
  readonly bytesSent: number;
  readonly rounds: number;
}

/** The default rule for n people: 100 units each on average, floor 30, cap 200. */
export function defaultRule(n: number): DonationRule {
  return { total: 10_000 * n, floor: 3_000, cap: 20_000 };
}

export async function runDonation(
  opts: DonationOptions,
  crypto?: CryptoProvider,
): Promise<DonationRun> {
  const people = opts.incomes
    ? opts.incomes.map((income, i) => ({ id: `person-${String(i + 1).padStart(2, '0')}`, income }))
    : donationPeople(opts.people ?? 12, opts.seed ?? 2026);
  const rule = opts.rule ?? defaultRule(people.length);
  checkRule(rule, people.length);
  const keys = await Promise.all(DONATION_NODES.map(() => contributionKeyPair()));
  const publicKeys = keys.map((k) => k.publicKey);
  const masks = new Map<string, bigint>();
  const envelopes = await Promise.all(
    people.map((p, i) => {
      const w = new BigUint64Array(2);
      globalThis.crypto.getRandomValues(w);
      const low = w[0]! & ((1n << BigInt(MASK_BITS)) - 1n);
      const high = w[1]! & ((1n << BigInt(MASK_BITS)) - 1n);
      const given = opts.masks?.[i];
      const [ml, mh] =
        given === undefined ? [low, high] : [given & ((1n << 40n) - 1n), given >> 40n];
      masks.set(p.id, ml + (mh << BigInt(MASK_BITS)));
      return contribute(DONATION_SCHEMA, publicKeys, p.id, [p.income, ml, mh]);
    }),
  );
  const t0 = performance.now();
  const outcomes = await runLocal(
    (s) => nodeProgram(s, envelopes, keys[s.indexOf(s.me)]!.privateKey, rule),
    { suite: 'shamir', parties: [...DONATION_NODES], ...(crypto ? { crypto } : {}) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const view = outcomes[0]!.result;
  // Each person, alone, subtracts their own mask from the number published for them.
  const shares = new Map(
    view.valid
      ? view.accepted.map((id, i) => [id, Number(view.published[i]! - masks.get(id)!)])
      : [],
  );
  return {
    people,
    rule,
    secure: { valid: view.valid, shares },
    plaintext: donationPlaintext(
      people.map((p) => p.income),
      rule,
    ),
    views: outcomes.map((o) => o.result),
    masks,
    seconds,
    bytesSent: outcomes.reduce((a, o) => a + o.stats.bytesSent, 0),
    rounds: Math.max(...outcomes.map((o) => o.stats.rounds)),
  };
}
