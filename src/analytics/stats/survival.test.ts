/**
 * Kaplan-Meier and the log-rank test: R's survfit and survdiff on the aml
 * data (acute myelogenous leukaemia, Miller 1981, in R's survival package),
 * and plain JavaScript on random data with coarse time points, groups and a filter.
 */
import { describe, expect, it } from 'vitest';
import { bool, int } from '../../api/types.js';
import { label, run } from '../../../test/harness.js';
import { kaplanMeier, logRank, revealLogRank } from './survival.js';
import { STAT_SUITES, column, near, randBools, randInts } from './testdata.js';

// aml: time (weeks) and status (1 = relapse); x = Maintained (first 11) or Nonmaintained.
const AML_TIME = [
  9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45,
];
const AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1];
const AML_MAINTAINED = AML_TIME.map((_, i) => i < 11);

/** KM and log-rank on times rounded up to the public points. */
function plainSurvival(time: number[], event: boolean[], group: boolean[][], points: number[]) {
  const G = group.length;
  const atRisk: number[][] = [];
  const events: number[][] = [];
  const surv: number[][] = [];
  for (let g = 0; g < G; g++) {
    let S = 1;
    atRisk.push([]);
    events.push([]);
    surv.push([]);
    points.forEach((t, k) => {
      const prev = k === 0 ? -Infinity : points[k - 1]!;
      const rows = time.map((_, i) => i).filter((i) => group[g]![i]);
      const n = rows.filter((i) => time[i]! > prev).length;
      const d = rows.filter((i) => time[i]! > prev && time[i]! <= t && event[i]).length;
      if (n > 0) S *= 1 - d / n;
      atRisk[g]!.push(n);
      events[g]!.push(d);
      surv[g]!.push(S);
    });
  }
  let O = 0;
  let E = 0;
  let V = 0;
  points.forEach((_, k) => {
    const n1 = atRisk[0]![k]!;
    const n = n1 + atRisk[1]![k]!;
    const d = events[0]![k]! + events[1]![k]!;
    O += events[0]![k]!;
    if (n > 0) E += (d * n1) / n;
    if (n > 1) V += ((d * n1) / n) * (1 - n1 / n) * ((n - d) / (n - 1));
  });
  return { atRisk, events, surv, O, E, V, chi2: (O - E) ** 2 / V };
}

const N = 120;
const days = randInts(N, 1, 100, 31);
const died = randBools(N, 0.6, 32);
const arm = randBools(N, 0.5, 33);
const mask = randBools(N, 0.85, 34);
const POINTS = [10, 20, 30, 45, 60, 80, 100];

for (const c of STAT_SUITES) {
  describe(label(c), () => {
    it('reproduces R on aml: survfit of the maintained arm and survdiff (Chisq 3.4, p = 0.0653)', async () => {
      const points = Array.from({ length: 161 }, (_, i) => i + 1);
      const r = await run(c, async (s) => {
        const t = column(s, int(9), AML_TIME);
        const ev = column(
          s,
          bool,
          AML_STATUS.map((v) => v === 1),
        );
        const m = column(s, bool, AML_MAINTAINED);
        const km = kaplanMeier(t, ev, points, { groups: [m] });
        const lr = logRank(t, ev, m, m.not(), points);
        return {
          surv: await km.survival.reveal(),
          gw: await km.greenwood.reveal(),
          lr: await revealLogRank(lr),
          both: await s.revealAll([lr.observedByGroup, lr.expectedByGroup]),
        };
      });
      // R: summary(survfit(Surv(time, status) ~ x, data = aml))
      const published: [number, number][] = [
        [9, 0.909],
        [13, 0.818],
        [18, 0.716],
        [23, 0.614],
        [31, 0.491],
        [34, 0.368],
        [48, 0.184],
      ];
      for (const [t, sv] of published) near(`S(${t})`, r.surv[t - 1]!, sv, 5e-4);
      // R: summary(survfit(...), times = c(9, 18, 31, 48))$std.err, S sqrt(V) with Greenwood's V.
      const stdErr: [number, number][] = [
        [9, 0.0866784172041448],
        [18, 0.139664970557228],
        [31, 0.164193267221136],
        [48, 0.153492745786294],
      ];
      for (const [t, se] of stdErr)
        near(`std.err(${t})`, r.surv[t - 1]! * Math.sqrt(r.gw[t - 1]!), se, 2e-6, 1e-5);
      // Both groups: O = 7, 11 and E = 10.69, 7.31.
      expect((r.both[0] as bigint[]).map(Number)).toEqual([7, 11]);
      near('E1', (r.both[1] as number[])[0]!, 10.689335992300723, 1e-4);
      near('E2', (r.both[1] as number[])[1]!, 7.310664007699277, 1e-4);
      // R: survdiff(Surv(time, status) ~ x, data = aml): O = 7, E = 10.69, Chisq = 3.4 on 1 df, p = 0.0653
      expect(r.lr.observed).toBe(7);
      near('E', r.lr.expected, 10.689335992300723, 1e-4);
      near('chi2', r.lr.statistic, 3.3963886989775984, 1e-3);
      near('p', r.lr.pValue, 0.06533932204050508, 1e-4);
    });

    it('Kaplan-Meier and log-rank over coarse time points with a filter, against plain JavaScript', async () => {
      const r = await run(c, async (s) => {
        const t = column(s, int(8), days);
        const ev = column(s, bool, died);
        const b = column(s, bool, arm);
        const where = column(s, bool, mask);
        const km = kaplanMeier(t, ev, POINTS, { groups: [b, b.not()], where });
        const lr = logRank(t, ev, b, b.not(), POINTS, { where });
        return {
          km: await s.revealAll([km.atRisk, km.events, km.censored, km.survival, km.greenwood]),
          lr: await s.revealAll([lr.observed, lr.expected, lr.variance, lr.statistic]),
          all: await kaplanMeier(t, ev, [50]).survival.reveal(),
        };
      });
      const g1 = arm.map((a, i) => a && mask[i]!);
      const g2 = arm.map((a, i) => !a && mask[i]!);
      const want = plainSurvival(days, died, [g1, g2], POINTS);
      const K = POINTS.length;
      expect((r.km[0] as bigint[]).map(Number)).toEqual(want.atRisk.flat());
      expect((r.km[1] as bigint[]).map(Number)).toEqual(want.events.flat());
      const cens = [g1, g2].flatMap((g) =>
        POINTS.map((t, k) => {
          const prev = k === 0 ? -Infinity : POINTS[k - 1]!;
          return days.filter((d, i) => g[i] && !died[i] && d > prev && d <= t).length;
        }),
      );
      expect((r.km[2] as bigint[]).map(Number)).toEqual(cens);
      (r.km[3] as number[]).forEach((sv, q) =>
        near(`S ${q}`, sv, want.surv[Math.floor(q / K)]![q % K]!, 1e-5),
      );
      // Greenwood: sum of d / (n (n - d)) over the intervals so far (where n > d).
      (r.km[4] as number[]).forEach((v, q) => {
        const g = Math.floor(q / K);
        let sum = 0;
        for (let k = 0; k <= q % K; k++) {
          const n = want.atRisk[g]![k]!;
          const d = want.events[g]![k]!;
          if (n > d) sum += d / (n * (n - d));
        }
        near(`V ${q}`, v, sum, 1e-8, 1e-6);
      });
      expect(Number((r.lr[0] as bigint[])[0])).toBe(want.O);
      near('E', (r.lr[1] as number[])[0]!, want.E, 1e-5, 1e-5);
      near('V', (r.lr[2] as number[])[0]!, want.V, 1e-5, 1e-5);
      near('chi2', (r.lr[3] as number[])[0]!, want.chi2, 1e-3, 1e-5);
      const all = plainSurvival(days, died, [days.map(() => true), []], [50]);
      near('S(50)', r.all[0]!, all.surv[0]![0]!, 1e-5);
    });
  });
}
