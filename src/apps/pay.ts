/**
 * Income transparency within a group (`entente demo pay-transparency`, docs/APPS.md):
 * the members of a co-operative learn where pay stands, and each member where they
 * stand, without anyone learning anyone's pay.
 *
 * Each member contributes (src/api/contributions.ts) their pay, role, gender and a
 * one-time mask, as additive parts sealed to three compute nodes (rep3: semi-honest,
 * honest majority); members need not stay online. The nodes release to everyone:
 *   - the group's quartiles and median (R's type 7), exact to 2^-20;
 *   - per role and gender, the member count and mean pay, only for cells of at least
 *     `minCell` members (smaller cells are suppressed, and so is the role's gap), and the
 *     gap per role, (mean of men - mean of women) / mean of men, as the Boston Women's
 *     Workforce Council reports it.
 * And to each member privately, their own percentile: the nodes publish the member's
 * rank (how many members are paid less) plus the member's mask, a uniform 40-bit number
 * only that member knows, so the published number hides the rank (statistical distance
 * below n / 2^40) and the member subtracts the mask.
 *
 * The data are synthetic, from a seed (a small counter-based generator: not for
 * secrets, these members are made up); the masks come from the CSPRNG.
 */
import {
  collectContributions,
  contribute,
  contributionKeyPair,
  type Contribution,
  type ContributionSchema,
} from '../api/contributions.js';
import { runLocal } from '../api/run.js';
import type { Session } from '../api/session.js';
import { quantile } from '../analytics/stats/describe.js';
import type { CryptoProvider } from '../random/provider.js';
import { seededUniform } from './hospitals.js';

export const PAY_ROLES = ['apprentice', 'technician', 'engineer', 'manager', 'director'] as const;
export const PAY_NODES = ['node-1', 'node-2', 'node-3'] as const;
const MAX_PAY = 1_000_000;
const MASK_BITS = 40;
const PROBS = [0.25, 0.5, 0.75] as const;

export const PAY_SCHEMA: ContributionSchema = {
  collection: 'pay-transparency',
  fields: [
    { name: 'pay', min: 0, max: MAX_PAY },
    { name: 'role', min: 0, max: PAY_ROLES.length - 1 },
    { name: 'gender', min: 0, max: 1 },
    { name: 'mask', min: 0, max: 2 ** MASK_BITS - 1 },
  ],
};

export interface Member {
  readonly id: string;
  readonly pay: number;
  readonly role: number;
  /** 0 = man, 1 = woman (the synthetic data's two categories). */
  readonly gender: number;
}

export interface PayCell {
  readonly role: string;
  readonly gender: 'men' | 'women';
  /** Undefined when the cell is suppressed (fewer than minCell members). */
  readonly members?: number;
  readonly meanPay?: number;
}

export interface PayReport {
  readonly quartiles: readonly [number, number, number];
  readonly cells: readonly PayCell[];
  /** Per role: (mean of men - mean of women) / mean of men; undefined if either cell is suppressed. */
  readonly gaps: readonly { readonly role: string; readonly gap?: number }[];
  /** Percent of members paid less than each member, as each member decodes it alone. */
  readonly ownPercentile: ReadonlyMap<string, number>;
  readonly accepted: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly bytesSent: number;
  readonly rounds: number;
}

/** Synthetic members: pay by role with a gender difference and noise. */
export function payMembers(n: number, seed: number): Member[] {
  const u = seededUniform(seed);
  const base = [28_000, 42_000, 61_000, 83_000, 120_000];
  return Array.from({ length: n }, (_, i) => {
    const r = u();
    const role = r < 0.25 ? 0 : r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.95 ? 3 : 4;
    const gender = u() < 0.45 ? 1 : 0;
    const factor = gender === 1 ? 0.91 : 1;
    const pay = Math.round(base[role]! * factor * (0.8 + 0.4 * u()));
    return { id: `member-${String(i + 1).padStart(4, '0')}`, pay, role, gender };
  });
}

/** The same outputs computed on the pooled pay in the clear (the demo's check). */
export function payPlaintext(
  members: readonly Member[],
  minCell: number,
): Omit<PayReport, 'accepted' | 'rejected' | 'seconds' | 'bytesSent' | 'rounds'> {
  const sorted = members.map((m) => m.pay).sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (sorted.length - 1) * p;
    const lo = Math.floor(h);
    return (
      sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]!)
    );
  };
  const cells = cellsOf((role, gender) => {
    const sel = members.filter((m) => m.role === role && m.gender === gender);
    return { count: sel.length, sum: sel.reduce((a, m) => a + m.pay, 0) };
  }, minCell);
  const ownPercentile = new Map(
    members.map((m) => [
      m.id,
      (100 * members.filter((o) => o.pay < m.pay).length) / members.length,
    ]),
  );
  return { quartiles: [q(0.25), q(0.5), q(0.75)], cells, gaps: gapsOf(cells), ownPercentile };
}

function cellsOf(
  get: (role: number, gender: number) => { count: number; sum: number } | undefined,
  minCell: number,
): PayCell[] {
  const cells: PayCell[] = [];
  PAY_ROLES.forEach((role, r) =>
    [0, 1].forEach((g) => {
      const c = get(r, g);
      const gender = g === 0 ? 'men' : 'women';
      cells.push(
        c && c.count >= minCell
          ? { role, gender, members: c.count, meanPay: c.sum / c.count }
          : { role, gender },
      );
    }),
  );
  return cells;
}

function gapsOf(cells: readonly PayCell[]): { role: string; gap?: number }[] {
  return PAY_ROLES.map((role) => {
    const men = cells.find((c) => c.role === role && c.gender === 'men')?.meanPay;
    const women = cells.find((c) => c.role === role && c.gender === 'women')?.meanPay;
    return men !== undefined && women !== undefined ? { role, gap: (men - women) / men } : { role };
  });
}

/** What the nodes compute together on the collected contributions. */
async function nodeProgram(
  s: Session,
  envelopes: readonly Contribution[],
  privateKey: Uint8Array,
  minCell: number,
) {
  const c = await collectContributions(s, PAY_SCHEMA, envelopes, privateKey);
  const pay = c.values.pay!;
  const role = c.values.role!;
  const gender = c.values.gender!;
  const mask = c.values.mask!;
  const n = c.accepted.length;
  if (n === 0) throw new RangeError('pay transparency: no contribution was accepted');
  // Quartiles by the library's exact search over the public pay range.
  const quartiles = quantile(pay, PROBS, { range: [0, MAX_PAY] });
  // Per-cell counts and sums; a cell's figures are opened only if it is large enough.
  const cellSel = PAY_ROLES.flatMap((_, r) =>
    [0, 1].map((g) =>
      role
        .eq(r)
        .and(g === 1 ? gender.eq(1) : gender.eq(0))
        .toInt(16),
    ),
  );
  const counts = s.concat(cellSel.map((x) => x.sum()));
  const sums = s.concat(cellSel.map((x) => x.mul(pay).sum()));
  // Each member's rank: how many are paid less; every member's comparisons in one batch.
  const ranks = s.concat(Array.from({ length: n }, (_, i) => pay.lt(pay.at(i)).count()));
  const [q, large, masked] = await Promise.all([
    quartiles.reveal(),
    counts.ge(minCell).reveal(),
    ranks.add(mask).reveal(),
  ]);
  const open = large.flatMap((ok, i) => (ok ? [i] : []));
  const [cOpen, sOpen] = open.length
    ? await Promise.all([
        s.concat(open.map((i) => counts.at(i))).revealNumbers(),
        s.concat(open.map((i) => sums.at(i))).revealNumbers(),
      ])
    : [[], []];
  return {
    quartiles: q as number[],
    open,
    counts: cOpen,
    sums: sOpen,
    masked: masked.map(BigInt),
    accepted: c.accepted,
    rejected: c.counts,
  };
}

export interface PayOptions {
  readonly members?: number;
  readonly minCell?: number;
  readonly seed?: number;
}

export async function runPayTransparency(
  opts: PayOptions,
  crypto?: CryptoProvider,
): Promise<{
  secure: PayReport;
  plaintext: ReturnType<typeof payPlaintext>;
  members: Member[];
  /** What the nodes published for each member (rank + mask), and the masks only members hold. */
  published: ReadonlyMap<string, bigint>;
  masks: ReadonlyMap<string, bigint>;
}> {
  const nMembers = opts.members ?? 200;
  const minCell = opts.minCell ?? 5;
  const members = payMembers(nMembers, opts.seed ?? 2026);
  const keys = await Promise.all(PAY_NODES.map(() => contributionKeyPair()));
  const publicKeys = keys.map((k) => k.publicKey);
  // Each member: a fresh 40-bit mask from the CSPRNG, kept to decode their percentile.
  const masks = new Map<string, bigint>();
  const envelopes = await Promise.all(
    members.map((m) => {
      const w = new Uint32Array(2);
      globalThis.crypto.getRandomValues(w);
      const mask = (BigInt(w[0]! & 0xff) << 32n) | BigInt(w[1]!);
      masks.set(m.id, mask);
      return contribute(PAY_SCHEMA, publicKeys, m.id, [m.pay, m.role, m.gender, mask]);
    }),
  );
  const t0 = performance.now();
  const outcomes = await runLocal(
    (s) => nodeProgram(s, envelopes, keys[s.indexOf(s.me)]!.privateKey, minCell),
    { suite: 'rep3', parties: [...PAY_NODES], ...(crypto ? { crypto } : {}) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const r = outcomes[0]!.result;
  const byCell = new Map(r.open.map((i, j) => [i, { count: r.counts[j]!, sum: r.sums[j]! }]));
  const cells = cellsOf((role, g) => byCell.get(role * 2 + g), minCell);
  // Each member, alone, subtracts their mask from the number published for them.
  const ownPercentile = new Map(
    r.accepted.map((id, i) => [
      id,
      (100 * Number(r.masked[i]! - masks.get(id)!)) / r.accepted.length,
    ]),
  );
  return {
    secure: {
      quartiles: [r.quartiles[0]!, r.quartiles[1]!, r.quartiles[2]!],
      cells,
      gaps: gapsOf(cells),
      ownPercentile,
      accepted: r.accepted.length,
      rejected: r.rejected,
      seconds,
      bytesSent: outcomes.reduce((a, o) => a + o.stats.bytesSent, 0),
      rounds: Math.max(...outcomes.map((o) => o.stats.rounds)),
    },
    plaintext: payPlaintext(members, minCell),
    members,
    published: new Map(r.accepted.map((id, i) => [id, r.masked[i]!])),
    masks,
  };
}
