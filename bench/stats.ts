/**
 * Times each statistic of the library on 3 x rows rows under rep3 in memory
 * (all three parties in this process, so the figures are the total compute
 * of three parties on one core), on synthetic hospital-like columns.
 *
 *   npx tsx bench/stats.ts [--rows 10000] [--suite rep3] [--only mean,quantile]
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { bool, int, runLocal, type Session } from '../src/index.js';
import * as st from '../src/analytics/stats/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const rows = Number(opt('rows', '10000'));
const suite = opt('suite', 'rep3');
const only = opt('only', '').split(',').filter(Boolean);

/** Benchmark data only (fixed-seed LCG, not anyone's secrets). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Cols {
  age: number[];
  arm: boolean[];
  outcome: boolean[];
  days: number[];
  time: number[];
  event: boolean[];
}
function hospital(h: number, n: number): Cols {
  const r = lcg(1000 + h);
  const c: Cols = { age: [], arm: [], outcome: [], days: [], time: [], event: [] };
  for (let i = 0; i < n; i++) {
    const age = 20 + Math.floor(r() * 65);
    const arm = r() < 0.5;
    c.age.push(age);
    c.arm.push(arm);
    c.outcome.push(r() < 1 / (1 + Math.exp(-(-2 + 0.03 * age - 0.5 * Number(arm)))));
    c.days.push(Math.max(1, Math.round(8 + age / 20 - (arm ? 2 : 0) + (r() - 0.5) * 6)));
    const t = Math.floor(-Math.log(1 - r()) * (arm ? 400 : 300));
    c.time.push(Math.min(365, t));
    c.event.push(t <= 365 && r() < 0.9);
  }
  return c;
}

async function time(
  name: string,
  work: (s: Session, cols: ReturnType<typeof inputs>) => Promise<unknown>,
) {
  if (only.length && !only.includes(name)) return;
  const data = [0, 1, 2].map((h) => hospital(h, rows));
  let ms = 0;
  let rounds = 0;
  await runLocal(
    async (s) => {
      const cols = inputs(s, data);
      await Promise.all(Object.values(cols).map((c) => c.shares));
      const before = s.stats().rounds;
      const t0 = performance.now();
      await work(s, cols);
      ms = performance.now() - t0;
      rounds = s.stats().rounds - before;
      return 0;
    },
    { suite, parties: 3, crypto: nodeCryptoProvider },
  );
  console.log(
    `${name.padEnd(22)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${String(rounds).padStart(5)} rounds`,
  );
}

function inputs(s: Session, data: Cols[]) {
  const col = <T extends 'age' | 'days' | 'time'>(k: T, bits: number) =>
    s.concat(s.parties.map((p, h) => s.input(p, int(bits), p === s.me ? data[h]![k] : rows)));
  const flag = (k: 'arm' | 'outcome' | 'event') =>
    s.concat(s.parties.map((p, h) => s.input(p, bool, p === s.me ? data[h]![k] : rows)));
  return {
    age: col('age', 8),
    days: col('days', 6),
    time: col('time', 10),
    arm: flag('arm'),
    outcome: flag('outcome'),
    event: flag('event'),
  };
}

console.log(`statistics on 3 x ${rows} rows, ${suite}, all parties in one process`);
await time('count+mean (masked)', (s, c) =>
  s.revealAll([st.count(c.age, { where: c.arm }), st.mean(c.age, { where: c.arm })]),
);
await time('summary by arm', async (_s, c) => {
  const u = st.summary(c.days, { groups: [c.arm.not(), c.arm] });
  return Promise.all([u.mean.reveal(), u.sd.reveal()]);
});
await time('min, max', (s, c) => s.revealAll([st.min(c.age), st.max(c.age)]));
await time('median', (_s, c) => st.median(c.age, { range: [0, 127] }).reveal());
await time('quartiles', (_s, c) =>
  st.quantile(c.age, [0.25, 0.5, 0.75], { range: [0, 127] }).reveal(),
);
await time('histogram (8 bins)', (_s, c) =>
  st.histogram(c.age, [20, 30, 40, 50, 60, 70, 80, 90, 100]).reveal(),
);
await time('outcome rate by arm', (_s, c) =>
  st.groupBy([c.arm.not(), c.arm], c.outcome.toInt(2)).mean!.reveal(),
);
await time('crosstab 2x2', (_s, c) =>
  st.crosstab([c.outcome.not(), c.outcome], [c.arm.not(), c.arm]).reveal(),
);
await time('cor', (_s, c) => st.cor(c.age, c.days).reveal());
await time('welch t-test', (_s, c) => st.revealTTest(st.welchTTest(c.days, c.arm.not(), c.arm)));
await time('chi-squared 2x2', (_s, c) =>
  st.revealChiSquared(
    st.chiSquaredTest(st.crosstab([c.outcome.not(), c.outcome], [c.arm.not(), c.arm])),
  ),
);
await time('linear regression', (_s, c) =>
  st.linearRegression(c.days, [c.age, c.arm.toInt(2)]).coefficients.reveal(),
);
await time('logistic (newton x6)', (_s, c) =>
  st
    .logisticRegression(c.outcome, [c.age, c.arm], {
      ranges: [
        [0, 127],
        [0, 1],
      ],
      iterations: 6,
    })
    .coefficients.reveal(),
);
const monthly = [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 365];
await time('kaplan-meier (12 pts)', (_s, c) =>
  st.kaplanMeier(c.time, c.event, monthly, { groups: [c.arm.not(), c.arm] }).survival.reveal(),
);
await time('log-rank (12 pts)', (_s, c) =>
  st.revealLogRank(st.logRank(c.time, c.event, c.arm.not(), c.arm, monthly)),
);
