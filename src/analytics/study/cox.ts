/**
 * The study type cox: Cox proportional-hazards regression (Breslow ties) on
 * per-interval counts. Each owner counts its own records, in the clear on its
 * own table (its `where` and complete cases): per stratum, public time
 * interval and combination of predictor values, the records at risk at the
 * start of the interval and the events in it; it inputs the counts as
 * secrets and MPC adds them up (`SecretTable.aggregate`). The Newton-Raphson
 * fit then runs on the secret sums (src/analytics/stats/cox.ts) and only the
 * coefficients, their standard errors, the three test statistics and the
 * record and event totals are opened (after suppression); hazard ratios,
 * confidence limits and p-values are computed from them in the clear.
 * Also the plaintext reference (the same counts on pooled records, fitted in
 * double precision to convergence), for the demo and the tests.
 */
import type { Schema } from '../data/schema.js';
import type { Table } from '../data/table.js';
import { releaseGuarded } from '../privacy/suppress.js';
import { coxFromCounts, coxSummary, localCoxCounts } from '../stats/cox.js';
import type { AnalysisBody, AnalysisContext } from './context.js';
import { predictorCells, rowCountsKey, type PredictorCells } from './grouped.js';
import { methodNotes } from './methods.js';
import { referenceGroups, referenceMask, type ReferenceImpl } from './reference.js';
import type { ResultRow } from './result.js';
import { coxTimes, type Analysis, type CoxAnalysis, type Study } from './spec.js';
import { eachOwner } from './wording.js';

/** The cells of a model's predictors, their design rows and ranges (mixed radix, last fastest). */
function cellsOf(schema: Schema, a: CoxAnalysis) {
  const column = (name: string) => schema.columns.find((c) => c.name === name)!;
  const cs = a.predictors.map((p) => predictorCells(column(p))!) as PredictorCells[];
  const C = cs.reduce((x, c) => x * c.size, 1);
  const rows: number[][] = [];
  for (let q = 0; q < C; q++) {
    let rest = q;
    const idx = new Array<number>(cs.length);
    for (let j = cs.length - 1; j >= 0; j--) {
      idx[j] = rest % cs[j]!.size;
      rest = Math.floor(rest / cs[j]!.size);
    }
    rows.push(cs.flatMap((c, j) => c.features(idx[j]!)));
  }
  return {
    cs,
    C,
    design: { cells: rows, ranges: cs.flatMap((c) => c.ranges) },
    terms: cs.flatMap((c) => c.terms),
  };
}

/** An owner's (or the pool's) counts: at risk then events, S x K x C each. */
function countsOf(
  t: Table,
  a: CoxAnalysis,
  cs: readonly PredictorCells[],
  S: number,
  C: number,
  times: readonly number[],
) {
  const mask = referenceMask(t, a);
  const strata = referenceGroups(t, a.strata);
  const xs = a.predictors.map((name) => t.columns.get(name)!.values);
  const time = t.columns.get(a.time)!.values;
  const ev = t.columns.get(a.event)!.values;
  const w = t.weights;
  return localCoxCounts(
    t.rows,
    (i) => mask[i] === 1,
    (i) => (a.strata ? strata.of(i) : 0),
    (i) => cs.reduce((q, c, j) => q * c.size + c.index(xs[j]![i]!), 0),
    (i) => time[i]!,
    (i) => ev[i] === 1,
    S,
    C,
    times,
    w ? (i) => w[i]! : undefined,
  );
}

const strataCount = (labels: readonly string[] | undefined) => labels?.length ?? 1;

export async function coxAnalysis(ctx: AnalysisContext, a: Analysis): Promise<AnalysisBody> {
  const m = a as CoxAnalysis;
  const { cs, C, design, terms } = cellsOf(ctx.study.schema, m);
  const strata = m.strata ? ctx.groupLabels(m.strata) : undefined;
  const S = strataCount(strata);
  const times = coxTimes(ctx.study.schema, m);
  const K = times.length;
  const iterations = m.iterations ?? 6;
  const LC = S * K * C;
  ctx.progress(
    `  Cox regression on ${K} time points x ${C} cells x ${S} strata: ${iterations} Newton iterations`,
  );
  const c = ctx.table.aggregate(rowCountsKey(ctx.study.schema, m)!, 2 * LC, 34, (own) =>
    countsOf(own, m, cs, S, C, times),
  );
  const bits = Math.ceil(Math.log2(ctx.table.rows + 1)) + 1;
  // Counts of records: at most the public row count, a tighter bound than the sum's.
  const atRisk = c.slice(0, LC).assumeBound(bits);
  const events = c.slice(LC, 2 * LC).assumeBound(bits);
  const model = coxFromCounts(atRisk, events, K, design, ctx.table.rows, {
    strata: S,
    iterations,
  });
  // Released only with at least k events and k records in every level of a categorical or
  // boolean predictor and every stratum: sums of the first interval's at-risk counts (every
  // record) with public 0/1 weights, then one tournament.
  const levelMasks: number[][] = [];
  const first = (st: number, cell: number) => (st * K + 0) * C + cell;
  const cellOf = (q: number, j: number) => {
    let rest = q;
    for (let t = cs.length - 1; t > j; t--) rest = Math.floor(rest / cs[t]!.size);
    return rest % cs[j]!.size;
  };
  cs.forEach((pc, j) => {
    if (ctx.table.column(pc.name).type === 'integer') return;
    for (let v = 0; v < pc.size; v++) {
      const w = new Array<number>(LC).fill(0);
      for (let st = 0; st < S; st++)
        for (let q = 0; q < C; q++) if (cellOf(q, j) === v) w[first(st, q)] = 1;
      levelMasks.push(w);
    }
  });
  if (m.strata)
    for (let st = 0; st < S; st++) {
      const w = new Array<number>(LC).fill(0);
      for (let q = 0; q < C; q++) w[first(st, q)] = 1;
      levelMasks.push(w);
    }
  const support = ctx.s
    .concat([events.sum().reshape([1]), ...levelMasks.map((w) => atRisk.mul(w).sum().reshape([1]))])
    .min();
  const [rb, rse, rw, rlr, rsc, rn, rd, rok] = await releaseGuarded(
    ctx.s,
    [
      { value: model.coefficients, support },
      { value: model.standardErrors, support },
      { value: model.wald, support },
      { value: model.likelihoodRatio, support },
      { value: model.score, support },
      { value: model.n, support },
      { value: model.events, support },
      { value: model.converged, support },
    ],
    ctx.k,
  );
  const suppressed = rb!.suppressed[0]!;
  const shown = !suppressed && rb!.values.every((v) => v !== null);
  const sum = shown
    ? coxSummary(rb!.values as number[], rse!.values as number[], {
        wald: rw!.values[0]!,
        likelihoodRatio: rlr!.values[0]!,
        score: rsc!.values[0]!,
        n: rn!.values[0]!,
        events: rd!.values[0]!,
      })
    : undefined;
  const row = (
    statistic: string,
    group: string,
    value: number | undefined,
    precision: string,
  ): ResultRow => ({
    statistic,
    group,
    value: value === undefined || !Number.isFinite(value) ? null : value,
    suppressed,
    precision,
  });
  const rows: ResultRow[] = [
    row('n', 'all', sum?.n, 'exact'),
    row('events', 'all', sum?.events, 'exact'),
    ...terms.flatMap((term, j) => [
      row(
        'coefficient',
        term,
        sum?.coefficients[j],
        'about 1e-5 of the maximum partial-likelihood estimate',
      ),
      row(
        'standard error',
        term,
        sum?.standardErrors[j],
        'about 1e-4 relative (inverse information at the last iterate)',
      ),
      row('hazard ratio', term, sum?.hazardRatios[j], 'exp(coefficient), computed in the clear'),
      row(
        'HR lower 95%',
        term,
        sum?.lower95[j],
        'exp(coefficient - 1.96 se), computed in the clear',
      ),
      row(
        'HR upper 95%',
        term,
        sum?.upper95[j],
        'exp(coefficient + 1.96 se), computed in the clear',
      ),
      row('p-value', term, sum?.pValues[j], 'Wald z test, computed in the clear'),
    ]),
    row('X^2', 'Wald test', sum?.wald, 'about 1e-4 relative'),
    row('X^2', 'likelihood-ratio test', sum?.likelihoodRatio, 'about events x 2^-20 absolute'),
    row('X^2', 'score test', sum?.score, 'about 1e-4 relative'),
    row('df', 'model', shown ? terms.length : undefined, 'exact'),
    row(
      'p-value',
      'Wald test',
      sum?.waldP,
      `chi-squared, ${terms.length} df, computed in the clear`,
    ),
    row(
      'p-value',
      'likelihood-ratio test',
      sum?.likelihoodRatioP,
      `chi-squared, ${terms.length} df, computed in the clear`,
    ),
    row(
      'p-value',
      'score test',
      sum?.scoreP,
      `chi-squared, ${terms.length} df, computed in the clear`,
    ),
  ];
  const converged = rok!.values[0] !== 0;
  const tc = ctx.table.column(m.time);
  const exact = !m.times && tc.type === 'integer' && tc.max - tc.min <= 2000;
  return {
    rows,
    notes: [
      ...methodNotes(
        ctx,
        a,
        `Cox regression (Breslow ties), ${iterations} Newton-Raphson iterations, as R's coxph(ties = "breslow")${m.strata ? ` with strata(${m.strata})` : ''}`,
      ),
      exact
        ? `events counted at every value of ${m.time} (${K} points): the fit is R's on the records`
        : `${K} public time points from ${times[0]} to ${times[K - 1]}: the fit is R's on times rounded up to the next point`,
      `${eachOwner(ctx.study)} counts its own records at risk and events per interval${m.strata ? ', stratum' : ''} and combination of ${m.predictors.join(', ')} (${C} cells) and inputs the counts; the counts are never opened`,
      'released only with at least k events and k records in every level of a categorical or boolean predictor and stratum',
      ...(converged
        ? []
        : [
            `NOT CONVERGED: the last of ${iterations} Newton-Raphson steps still moved a coefficient by more than 2^-14 (scaled); the estimates are not final: raise iterations`,
          ]),
    ],
  };
}

// ----- plaintext reference -----

/**
 * The Breslow fit in double precision from plain counts (S K risk sets x C
 * cells), Newton-Raphson to convergence: coefficients, standard errors and
 * the Wald, likelihood-ratio and score statistics.
 */
export function plainCox(
  n: ArrayLike<number>,
  d: ArrayLike<number>,
  L: number,
  cells: readonly (readonly number[])[],
) {
  const C = cells.length;
  const p = cells[0]!.length;
  const evalAt = (b: number[]) => {
    const U = new Array<number>(p).fill(0);
    const I = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    let ll = 0;
    const e = cells.map((x) => Math.exp(x.reduce((s, v, j) => s + v * b[j]!, 0)));
    for (let l = 0; l < L; l++) {
      let s0 = 0;
      let D = 0;
      const s1 = new Array<number>(p).fill(0);
      const s2 = Array.from({ length: p }, () => new Array<number>(p).fill(0));
      for (let c = 0; c < C; c++) {
        const w = n[l * C + c]! * e[c]!;
        const dc = d[l * C + c]!;
        D += dc;
        s0 += w;
        ll += dc * Math.log(e[c]!);
        for (let j = 0; j < p; j++) {
          U[j]! += dc * cells[c]![j]!;
          s1[j]! += w * cells[c]![j]!;
          for (let k = 0; k < p; k++) s2[j]![k]! += w * cells[c]![j]! * cells[c]![k]!;
        }
      }
      if (D === 0 || s0 === 0) continue;
      ll -= D * Math.log(s0);
      for (let j = 0; j < p; j++) {
        U[j]! -= (D * s1[j]!) / s0;
        for (let k = 0; k < p; k++)
          I[j]![k]! += D * (s2[j]![k]! / s0 - (s1[j]! * s1[k]!) / (s0 * s0));
      }
    }
    return { U, I, ll };
  };
  const solve = (A: number[][], v: number[]) => {
    const M = A.map((r, i) => [...r, v[i]!, ...A.map((_, j) => (i === j ? 1 : 0))]);
    for (let c = 0; c < p; c++) {
      let piv = c;
      for (let r = c + 1; r < p; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
      [M[c], M[piv]] = [M[piv]!, M[c]!];
      const dd = M[c]![c]!;
      for (let k = 0; k < M[c]!.length; k++) M[c]![k]! /= dd;
      for (let r = 0; r < p; r++) {
        if (r === c) continue;
        const f = M[r]![c]!;
        for (let k = 0; k < M[r]!.length; k++) M[r]![k]! -= f * M[c]![k]!;
      }
    }
    return { x: M.map((r) => r[p]!), inv: M.map((r) => r.slice(p + 1)) };
  };
  let b = new Array<number>(p).fill(0);
  const at0 = evalAt(b);
  const score = solve(at0.I, at0.U).x.reduce((s, v, j) => s + v * at0.U[j]!, 0);
  for (let it = 0; it < 50; it++) {
    const { U, I } = evalAt(b);
    const step = solve(I, U).x;
    b = b.map((v, j) => v + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-12) break;
  }
  const fin = evalAt(b);
  const inv = solve(fin.I, fin.U).inv;
  const wald = b.reduce((s, v, j) => s + v * fin.I[j]!.reduce((t, x, k) => t + x * b[k]!, 0), 0);
  return {
    coefficients: b,
    standardErrors: b.map((_, j) => Math.sqrt(inv[j]![j]!)),
    wald,
    likelihoodRatio: 2 * (fin.ll - at0.ll),
    score,
  };
}

export const coxReference: ReferenceImpl = (t: Table, a: Analysis, study: Study) => {
  const m = a as CoxAnalysis;
  const { cs, C, design, terms } = cellsOf(t.schema, m);
  const S = m.strata ? referenceGroups(t, m.strata).labels.length : 1;
  const times = coxTimes(study.schema, m);
  const K = times.length;
  const LC = S * K * C;
  const counts = countsOf(t, m, cs, S, C, times);
  const n = counts.subarray(0, LC);
  const d = counts.subarray(LC, 2 * LC);
  const fit = plainCox(n, d, S * K, design.cells);
  let records = 0;
  for (let st = 0; st < S; st++) for (let q = 0; q < C; q++) records += n[st * K * C + q]!;
  const events = d.reduce((x, y) => x + y, 0);
  const s = coxSummary(fit.coefficients, fit.standardErrors, { ...fit, n: records, events });
  const row = (statistic: string, group: string, value: number): ResultRow => ({
    statistic,
    group,
    value,
    suppressed: false,
  });
  return [
    row('n', 'all', records),
    row('events', 'all', events),
    ...terms.flatMap((term, j) => [
      row('coefficient', term, s.coefficients[j]!),
      row('standard error', term, s.standardErrors[j]!),
      row('hazard ratio', term, s.hazardRatios[j]!),
      row('HR lower 95%', term, s.lower95[j]!),
      row('HR upper 95%', term, s.upper95[j]!),
      row('p-value', term, s.pValues[j]!),
    ]),
    row('X^2', 'Wald test', s.wald),
    row('X^2', 'likelihood-ratio test', s.likelihoodRatio),
    row('X^2', 'score test', s.score),
    row('df', 'model', terms.length),
    row('p-value', 'Wald test', s.waldP),
    row('p-value', 'likelihood-ratio test', s.likelihoodRatioP),
    row('p-value', 'score test', s.scoreP),
  ];
};
