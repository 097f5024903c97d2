/**
 * The wage-gap study (`entente demo wage-gap`, docs/APPS.md), after the Boston Women's
 * Workforce Council's: employers submit payroll tables, and only aggregates across
 * employers are released, never one employer's figures.
 *
 * Each employer's table has 240 cells, job category (10, the EEO-1 categories) x
 * race/ethnicity (6) x gender (4: women, men, non-binary, not stated), and four
 * measures per cell: headcount, total pay, total bonus and total tenure in months. The
 * employer contributes the 960 numbers (src/api/contributions.ts) as additive parts
 * sealed to three compute nodes (rep3: semi-honest, honest majority); each number is
 * range-checked inside MPC, so an employer cannot inflate a cell beyond the declared
 * ranges. The nodes sum every cell over the accepted employers and release, for each
 * cell with a headcount of at least `minCell`, the headcount and mean pay, bonus and
 * tenure; and the pay gap, (mean of men - mean of women) / mean of men, for each category
 * and race where both cells are released, and for each category over its released cells
 * (computed from the released figures only, so that a category total cannot be
 * differenced with the released cells to recover a suppressed one).
 *
 * The data are synthetic, from a seed (a small counter-based generator: not for
 * secrets, these employers are made up).
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
import type { CryptoProvider } from '../random/provider.js';
import { seededUniform } from './hospitals.js';

export const JOB_CATEGORIES = [
  'executives',
  'managers',
  'professionals',
  'technicians',
  'sales',
  'administrative',
  'craft',
  'operatives',
  'laborers',
  'service',
] as const;
export const RACES = ['Hispanic', 'White', 'Black', 'Asian', 'Native', 'Two or more'] as const;
export const GENDERS = ['women', 'men', 'non-binary', 'not stated'] as const;
export const MEASURES = ['headcount', 'pay', 'bonus', 'tenure'] as const;
const WOMEN = 0;
const MEN = 1;
const CELLS = JOB_CATEGORIES.length * RACES.length * GENDERS.length;
/** Declared ranges per measure (per cell of one employer). */
const MAX: Record<(typeof MEASURES)[number], number> = {
  headcount: 5_000,
  pay: 1_000_000_000,
  bonus: 200_000_000,
  tenure: 5_000 * 600,
};

export const WAGE_GAP_SCHEMA: ContributionSchema = {
  collection: 'wage-gap',
  fields: Array.from({ length: CELLS }, (_, c) =>
    MEASURES.map((m) => ({ name: `${m}.${c}`, min: 0, max: MAX[m] })),
  ).flat(),
};

const cellIndex = (job: number, race: number, gender: number) =>
  (job * RACES.length + race) * GENDERS.length + gender;

export interface Employer {
  readonly id: string;
  /** Per cell: [headcount, total pay, total bonus, total tenure months], cells in cellIndex order. */
  readonly table: readonly (readonly [number, number, number, number])[];
}

/** Synthetic employers: headcounts by category and race, pay by category with a gender difference. */
export function wageGapEmployers(n: number, seed: number): Employer[] {
  const u = seededUniform(seed);
  const basePay = [
    210_000, 130_000, 98_000, 64_000, 52_000, 47_000, 55_000, 41_000, 36_000, 33_000,
  ];
  const raceShare = [0.12, 0.6, 0.1, 0.12, 0.02, 0.04];
  const genderShare = [0.46, 0.5, 0.02, 0.02];
  return Array.from({ length: n }, (_, e) => {
    const size = 20 + Math.floor(u() * 400);
    const table: [number, number, number, number][] = [];
    for (let j = 0; j < JOB_CATEGORIES.length; j++)
      for (let r = 0; r < RACES.length; r++)
        for (let g = 0; g < GENDERS.length; g++) {
          const expected = (size / JOB_CATEGORIES.length) * raceShare[r]! * genderShare[g]!;
          const head = Math.floor(expected * 2 * u());
          const factor = g === WOMEN ? 0.88 : 1;
          let pay = 0;
          let bonus = 0;
          let tenure = 0;
          for (let k = 0; k < head; k++) {
            const p = Math.round(basePay[j]! * factor * (0.85 + 0.3 * u()));
            pay += p;
            bonus += Math.round(p * 0.05 * u() * (g === WOMEN ? 0.8 : 1));
            tenure += Math.floor(6 + 120 * u());
          }
          table.push([head, pay, bonus, tenure]);
        }
    return { id: `employer-${String(e + 1).padStart(3, '0')}`, table };
  });
}

export interface WageGapCell {
  readonly job: string;
  readonly race: string;
  readonly gender: string;
  /** Undefined when suppressed (headcount below the minimum). */
  readonly headcount?: number;
  readonly meanPay?: number;
  readonly meanBonus?: number;
  readonly meanTenureMonths?: number;
}

export interface WageGapReport {
  readonly cells: readonly WageGapCell[];
  /** Per job category and race: (mean pay of men - of women) / of men, where both cells are released. */
  readonly gapByJobRace: readonly {
    readonly job: string;
    readonly race: string;
    readonly gap?: number;
  }[];
  /** Per job category, over its released cells of men and of women. */
  readonly gapByJob: readonly { readonly job: string; readonly gap?: number }[];
}

/** Turns per-cell sums (or undefined for suppressed cells) into the report. */
function report(
  cellSums: (c: number) => readonly [number, number, number, number] | undefined,
): WageGapReport {
  const cells: WageGapCell[] = [];
  JOB_CATEGORIES.forEach((job, j) =>
    RACES.forEach((race, r) =>
      GENDERS.forEach((gender, g) => {
        const s = cellSums(cellIndex(j, r, g));
        cells.push(
          s
            ? {
                job,
                race,
                gender,
                headcount: s[0],
                meanPay: s[1] / s[0],
                meanBonus: s[2] / s[0],
                meanTenureMonths: s[3] / s[0],
              }
            : { job, race, gender },
        );
      }),
    ),
  );
  const gap = (men?: number, women?: number) =>
    men !== undefined && women !== undefined ? (men - women) / men : undefined;
  const gapByJobRace = JOB_CATEGORIES.flatMap((job, j) =>
    RACES.map((race, r) => {
      const g = gap(cells[cellIndex(j, r, MEN)]!.meanPay, cells[cellIndex(j, r, WOMEN)]!.meanPay);
      return g === undefined ? { job, race } : { job, race, gap: g };
    }),
  );
  const released = (j: number, g: number) => {
    let head = 0;
    let pay = 0;
    RACES.forEach((_, r) => {
      const c = cells[cellIndex(j, r, g)]!;
      if (c.headcount === undefined) return;
      head += c.headcount;
      pay += c.meanPay! * c.headcount;
    });
    return head > 0 ? pay / head : undefined;
  };
  const gapByJob = JOB_CATEGORIES.map((job, j) => {
    const g = gap(released(j, MEN), released(j, WOMEN));
    return g === undefined ? { job } : { job, gap: g };
  });
  return { cells, gapByJobRace, gapByJob };
}

/** The same report from the pooled tables in the clear (the demo's check). */
export function wageGapPlaintext(employers: readonly Employer[], minCell: number): WageGapReport {
  const total = (c: number) =>
    employers.reduce(
      (a, e) => a.map((v, i) => v + e.table[c]![i]!) as [number, number, number, number],
      [0, 0, 0, 0] as [number, number, number, number],
    );
  return report((c) => {
    const t = total(c);
    return t[0] >= minCell ? t : undefined;
  });
}

/** What the three nodes run together on the employers' envelopes. */
export async function wageGapNodeProgram(
  s: Session,
  envelopes: readonly Contribution[],
  privateKey: Uint8Array,
  minCell: number,
) {
  const c = await collectContributions(s, WAGE_GAP_SCHEMA, envelopes, privateKey);
  if (c.accepted.length === 0) throw new RangeError('wage gap: no table was accepted');
  // Sums over employers: local (additions of shares).
  // Each measure summed over employers, cell by cell (one type per measure).
  const sums = MEASURES.map((m) =>
    s.concat(Array.from({ length: CELLS }, (_, i) => c.values[`${m}.${i}`]!.sum())),
  );
  const cellOk = await sums[0]!.ge(minCell).reveal();
  const openCells = cellOk.flatMap((ok, i) => (ok ? [i] : []));
  const perMeasure = openCells.length
    ? await Promise.all(sums.map((v) => s.concat(openCells.map((i) => v.at(i))).revealNumbers()))
    : MEASURES.map(() => []);
  // Cell by cell: [headcount, pay, bonus, tenure] for each released cell.
  const cellVals = openCells.flatMap((_, k) => perMeasure.map((v) => v[k]!));
  return { openCells, cellVals, accepted: c.accepted, rejected: c.counts };
}

export interface WageGapOptions {
  readonly employers?: number;
  readonly minCell?: number;
  readonly seed?: number;
}

export async function runWageGap(
  opts: WageGapOptions,
  crypto?: CryptoProvider,
): Promise<{
  secure: WageGapReport;
  plaintext: WageGapReport;
  accepted: number;
  rejected: Readonly<Record<string, number>>;
  sealMsPerEmployer: number;
  seconds: number;
  rounds: number;
  bytesSent: number;
}> {
  const minCell = opts.minCell ?? 5;
  const employers = wageGapEmployers(opts.employers ?? 100, opts.seed ?? 2026);
  const keys = await Promise.all([0, 1, 2].map(() => contributionKeyPair()));
  const publicKeys = keys.map((k) => k.publicKey);
  const t0 = performance.now();
  const envelopes: Contribution[] = [];
  for (const e of employers)
    envelopes.push(await contribute(WAGE_GAP_SCHEMA, publicKeys, e.id, e.table.flat()));
  const sealMsPerEmployer = (performance.now() - t0) / employers.length;
  const t1 = performance.now();
  const outcomes = await runLocal(
    (s) => wageGapNodeProgram(s, envelopes, keys[s.indexOf(s.me)]!.privateKey, minCell),
    { suite: 'rep3', parties: ['node-1', 'node-2', 'node-3'], ...(crypto ? { crypto } : {}) },
  );
  const seconds = (performance.now() - t1) / 1000;
  const r = outcomes[0]!.result;
  const cellMap = new Map(
    r.openCells.map((c, k) => [
      c,
      r.cellVals.slice(4 * k, 4 * k + 4) as unknown as [number, number, number, number],
    ]),
  );
  return {
    secure: report((c) => cellMap.get(c)),
    plaintext: wageGapPlaintext(employers, minCell),
    accepted: r.accepted.length,
    rejected: r.rejected,
    sealMsPerEmployer,
    seconds,
    rounds: Math.max(...outcomes.map((o) => o.stats.rounds)),
    bytesSent: outcomes.reduce((a, o) => a + o.stats.bytesSent, 0),
  };
}
