/**
 * `entente demo ads`: conversion lift measurement between a publisher and an
 * advertiser (the use case of Google's Private Join and Compute and Meta's
 * Private Lift). The publisher holds one impression record per person
 * (person id, exposed or control, cohort); the advertiser holds its
 * conversions (person id, value). Released, per cohort and arm: the number
 * of conversions and the revenue among the publisher's people, with
 * discrete Laplace noise drawn inside MPC and suppressed below a minimum
 * number of conversions (checked inside MPC); the lift per cohort
 * (conversion rate exposed / control - 1) is computed from those released
 * values and the publisher's group sizes. Nobody learns which person
 * converted after which impression.
 *
 * Parties: 'publisher', 'advertiser' and a third compute party 'helper'
 * (rep3: semi-honest, honest majority). The join is the helper-aided lookup
 * join (src/join/aided.ts), linear in the rows: the sort-based join
 * (src/join/join.ts) would need hours for 10^6 x 10^5 rows. The helper
 * learns how many conversions came from the publisher's people (the match
 * count), nothing else; the owners learn only the released values.
 *
 * Privacy accounting: each person has at most one conversion row and one
 * impression row, so one person changes one group's conversions by at most 1
 * and its revenue by at most the largest value; the groups are disjoint
 * (parallel composition), and conversions and revenue each spend half of
 * epsilon. The publisher's group sizes (its own counts) are released as
 * they are.
 *
 * Synthetic data from a fixed seed (a counter-based generator, not for secrets).
 */
import { runLocal } from '../api/run.js';
import type { SecretInt } from '../api/secret.js';
import { int } from '../api/types.js';
import { addDiscreteLaplace, planDiscreteLaplace } from '../analytics/privacy/dp.js';
import { releaseGuarded } from '../analytics/privacy/suppress.js';
import type { CryptoProvider } from '../random/provider.js';
import { lookupJoin } from '../join/aided.js';
import { seededUniform } from './hospitals.js';

export interface AdsOptions {
  /** Impression records (people) at the publisher; default 1,000,000. */
  impressions?: number;
  /** Conversion records at the advertiser; default 100,000. */
  conversions?: number;
  /** Multiplies both sizes (e.g. 0.01 for a quick run); default 1. */
  scale?: number;
  /** Seed of the synthetic data; default 2026. */
  seed?: number;
  /** Privacy budget of the release; default 1. */
  epsilon?: number;
  /** Groups with fewer conversions are suppressed; default 50. */
  minConversions?: number;
  /** Randomness of the parties (default the platform's WebCrypto). */
  crypto?: CryptoProvider;
  /** Where the report goes (default console.log). */
  print?: (line: string) => void;
}

export const COHORTS = ['18-24', '25-34', '35-54', '55+'] as const;
/** Largest conversion value (whole currency units): the sensitivity of a revenue. */
export const MAX_VALUE = 500;

export interface AdsData {
  publisher: { ids: string[]; exposed: boolean[]; cohort: number[] };
  advertiser: { ids: string[]; value: number[] };
}

/** One cohort's figures; null where suppressed. */
export interface CohortFigures {
  cohort: string;
  /** People at the publisher, exposed and control. */
  people: [number, number];
  conversions: [number | null, number | null];
  revenue: [number | null, number | null];
  /** Conversion rate exposed / control - 1. */
  lift: number | null;
}

export interface AdsReport {
  secure: CohortFigures[];
  plain: CohortFigures[];
  seconds: number;
}

// Conversion rate per cohort (control) and the true effect of exposure.
const BASE_RATE = [0.06, 0.08, 0.09, 0.07];
const EFFECT = [0.3, 0.15, 0.05, 0];

/** The publisher's and the advertiser's synthetic tables (deterministic from `seed`). */
export function adsData(impressions: number, conversions: number, seed = 2026): AdsData {
  for (const [name, n] of [
    ['impressions', impressions],
    ['conversions', conversions],
  ] as const)
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RangeError(`adsData: ${name} must be a positive integer, got ${n}`);
  const u = seededUniform(seed * 104729 + 3);
  const pub: AdsData['publisher'] = { ids: [], exposed: [], cohort: [] };
  const adv: AdsData['advertiser'] = { ids: [], value: [] };
  const value = () => Math.min(MAX_VALUE, 5 + Math.floor(-40 * Math.log(1 - u())));
  for (let p = 0; p < impressions; p++) {
    const id = `P${String(p).padStart(9, '0')}`;
    const cohort = Math.floor(u() * COHORTS.length);
    const exposed = u() < 0.5;
    pub.ids.push(id);
    pub.exposed.push(exposed);
    pub.cohort.push(cohort);
    const rate = BASE_RATE[cohort]! * (exposed ? 1 + EFFECT[cohort]! : 1);
    if (u() < rate && adv.ids.length < conversions) {
      adv.ids.push(id);
      adv.value.push(value());
    }
  }
  // The rest of the conversions come from people the publisher never reached.
  for (let q = 0; adv.ids.length < conversions; q++) {
    adv.ids.push(`Q${String(q).padStart(9, '0')}`);
    adv.value.push(value());
  }
  // The advertiser's rows in its own order (by a random key), not the publisher's.
  const key = adv.ids.map(() => u());
  const idx = adv.ids.map((_, i) => i).sort((a, b) => key[a]! - key[b]!);
  return {
    publisher: pub,
    advertiser: { ids: idx.map((i) => adv.ids[i]!), value: idx.map((i) => adv.value[i]!) },
  };
}

/** The same figures in the clear (the plaintext check printed beside the secure ones). */
export function plainFigures(d: AdsData): CohortFigures[] {
  const G = 2 * COHORTS.length;
  const people = new Array<number>(G).fill(0);
  const conv = new Array<number>(G).fill(0);
  const rev = new Array<number>(G).fill(0);
  const group = new Map<string, number>();
  d.publisher.ids.forEach((id, i) => {
    const g = 2 * d.publisher.cohort[i]! + (d.publisher.exposed[i] ? 1 : 0);
    group.set(id, g);
    people[g]!++;
  });
  d.advertiser.ids.forEach((id, i) => {
    const g = group.get(id);
    if (g === undefined) return;
    conv[g]!++;
    rev[g]! += d.advertiser.value[i]!;
  });
  return figures(people, conv, rev);
}

function figures(
  people: readonly number[],
  conv: readonly (number | null)[],
  rev: readonly (number | null)[],
): CohortFigures[] {
  return COHORTS.map((cohort, c) => {
    const [ctl, exp] = [2 * c, 2 * c + 1];
    const rc = conv[ctl];
    const re = conv[exp];
    const lift =
      rc === null || re === null || rc! <= 0 || people[exp]! === 0 || people[ctl]! === 0
        ? null
        : re! / people[exp]! / (rc! / people[ctl]!) - 1;
    return {
      cohort,
      people: [people[exp]!, people[ctl]!],
      conversions: [re!, rc!],
      revenue: [rev[exp]!, rev[ctl]!],
      lift,
    };
  });
}

/**
 * Runs the lift measurement with all three parties in this process and
 * prints the released figures beside the plaintext ones.
 * @throws {RangeError} for bad options; a protocol failure as thrown by the parties.
 */
export async function runAds(opts: AdsOptions = {}): Promise<AdsReport> {
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`runAds: scale must be a positive number, got ${scale}`);
  const nI = Math.max(1, Math.round((opts.impressions ?? 1_000_000) * scale));
  const nC = Math.max(1, Math.round((opts.conversions ?? 100_000) * scale));
  const epsilon = opts.epsilon ?? 1;
  const k = opts.minConversions ?? 50;
  const print = opts.print ?? ((line: string) => console.log(line));
  const d = adsData(nI, nC, opts.seed ?? 2026);
  const G = 2 * COHORTS.length;
  const convPlan = planDiscreteLaplace(epsilon / 2, 1);
  const revPlan = planDiscreteLaplace(epsilon / 2, MAX_VALUE);

  const t0 = performance.now();
  const out = await runLocal(
    async (s) => {
      const me = s.me;
      const j = await lookupJoin(
        s,
        {
          table: { party: 'publisher', rows: nI, columns: [{ name: 'group', type: int(6) }] },
          probe: { party: 'advertiser', rows: nC },
          helper: 'helper',
        },
        me === 'publisher'
          ? {
              ids: d.publisher.ids,
              columns: {
                group: d.publisher.cohort.map((c, i) => 2 * c + (d.publisher.exposed[i] ? 1 : 0)),
              },
            }
          : me === 'advertiser'
            ? { ids: d.advertiser.ids }
            : undefined,
      );
      // The advertiser's values, in the join's row order (its own random order).
      const value = s.input(
        'advertiser',
        int(11),
        me === 'advertiser' ? Array.from(j.order!, (i) => d.advertiser.value[i]!) : nC,
      );
      // The publisher's group sizes: its own counts.
      const people = s.input('publisher', int(32), me === 'publisher' ? plainPeople(d) : G);
      const group = j.columns.get('group')!;
      const conv: SecretInt[] = [];
      const rev: SecretInt[] = [];
      for (let g = 0; g < G; g++) {
        const inGroup = group.eq(g).and(j.match).toInt(2);
        conv.push(inGroup.sum().reshape([1]));
        rev.push(inGroup.dot(value).reshape([1]));
      }
      const conversions = s.concat(conv);
      const revenue = s.concat(rev);
      const [c, r] = await releaseGuarded(
        s,
        [
          { value: addDiscreteLaplace(s, conversions, convPlan), support: conversions },
          { value: addDiscreteLaplace(s, revenue, revPlan), support: conversions },
        ],
        k,
      );
      const n = await people.reveal();
      return { people: n.map(Number), conv: c!.values, rev: r!.values };
    },
    { suite: 'rep3', parties: ['publisher', 'advertiser', 'helper'], crypto: opts.crypto },
  );
  const seconds = (performance.now() - t0) / 1000;
  const r = out[0]!.result;
  const report: AdsReport = {
    secure: figures(r.people, r.conv, r.rev),
    plain: plainFigures(d),
    seconds,
  };
  printReport(report, { nI, nC, epsilon, k }, print);
  return report;
}

function plainPeople(d: AdsData): number[] {
  const people = new Array<number>(2 * COHORTS.length).fill(0);
  d.publisher.cohort.forEach((c, i) => people[2 * c + (d.publisher.exposed[i] ? 1 : 0)]!++);
  return people;
}

function printReport(
  r: AdsReport,
  o: { nI: number; nC: number; epsilon: number; k: number },
  print: (line: string) => void,
): void {
  print(
    `Conversion lift: publisher (${o.nI} people with an impression record) and advertiser ` +
      `(${o.nC} conversions), joined on person id inside MPC (rep3, helper-aided join), ${r.seconds.toFixed(1)} s`,
  );
  print(
    `  released with discrete Laplace noise (epsilon ${o.epsilon}: half on conversions, half on revenue, ` +
      `value at most ${MAX_VALUE}); groups with fewer than ${o.k} conversions suppressed`,
  );
  const cell = (v: number | null, w = 9) => (v === null ? 'suppr.' : String(v)).padStart(w);
  const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`).padStart(8);
  print(
    `  ${'cohort'.padEnd(7)} ${'arm'.padEnd(8)} ${'people'.padStart(8)} ${'conv.'.padStart(9)} ${'(plain)'.padStart(9)} ${'revenue'.padStart(9)} ${'(plain)'.padStart(9)}   lift (plain)`,
  );
  r.secure.forEach((s, c) => {
    const p = r.plain[c]!;
    for (const arm of [0, 1] as const)
      print(
        `  ${(arm === 0 ? s.cohort : '').padEnd(7)} ${(arm === 0 ? 'exposed' : 'control').padEnd(8)} ${String(s.people[arm]).padStart(8)} ${cell(s.conversions[arm]!)} ${cell(p.conversions[arm]!)} ${cell(s.revenue[arm]!)} ${cell(p.revenue[arm]!)}` +
          (arm === 0 ? `  ${pct(s.lift)} (${pct(p.lift).trim()})` : ''),
      );
  });
}
