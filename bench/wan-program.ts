/**
 * The program of `npm run bench -- wan`, run by each party (`entente run
 * --delay-ms D`). Which workload it runs comes from the environment (set by
 * bench/wan.ts): ENTENTE_BENCH_WAN = 'study' (with ENTENTE_STUDY, the study
 * file, each party reading its own data file beside it, and optionally
 * ENTENTE_STUDY_ANALYSES), 'compare' (100k comparisons of int(32)) or 'sort'
 * (10k int(32) values). Times are measured inside the program, after linking.
 */
import { loadPartyData, loadStudy } from '../src/adapters/node/data.js';
import { runStudy } from '../src/analytics/study/runner.js';
import { STATISTICS } from '../src/analytics/study/statistics.js';
import { selectAnalyses } from '../src/cli/study.js';
import { int, type Session } from '../src/index.js';
import { SUITES } from '../src/suites/index.js';

/** One measured step at this party. */
export interface WanStep {
  label: string;
  seconds: number;
  rounds: number;
  bytesSent: number;
}

export interface WanResult {
  /** The whole workload: the study (agreement, input, every analysis), or the operation's first call. */
  whole: WanStep;
  /** The study's analyses, or the comparisons' second (warm) call (none for the sort). */
  parts: WanStep[];
}

function rand32(n: number, seed: number): number[] {
  // Benchmark data only: the fixed-seed LCG of bench/core.ts, so the figures compare.
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 2 ** 20) - 2 ** 19;
  });
}

async function measure(s: Session, label: string, f: () => Promise<unknown>): Promise<WanStep> {
  const before = s.stats();
  const t = performance.now();
  await f();
  const after = s.stats();
  return {
    label,
    seconds: (performance.now() - t) / 1000,
    rounds: after.rounds - before.rounds,
    bytesSent: after.bytesSent - before.bytesSent,
  };
}

async function study(s: Session, env: Record<string, string | undefined>): Promise<WanResult> {
  const file = env.ENTENTE_STUDY;
  if (!file) throw new Error('wan bench: ENTENTE_STUDY is not set');
  const loaded = selectAnalyses(
    await loadStudy(file, { knownSuites: Object.keys(SUITES) }),
    env.ENTENTE_STUDY_ANALYSES,
  );
  const own = await loadPartyData(loaded, s.me);
  let outcome: Awaited<ReturnType<typeof runStudy>> | undefined;
  const whole = await measure(s, 'whole study', async () => {
    outcome = await runStudy(s, loaded.study, own, { implementations: STATISTICS });
  });
  return {
    whole,
    parts: outcome!.analyses.map((a) => ({
      label: a.id,
      seconds: a.seconds,
      rounds: a.rounds,
      bytesSent: a.bytesSent,
    })),
  };
}

export default async function wanBench(s: Session): Promise<WanResult> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const work = env.ENTENTE_BENCH_WAN;
  if (work === 'study') return study(s, env);
  const [me1, me2] = s.parties;
  const n = work === 'compare' ? 100_000 : work === 'sort' ? 10_000 : 0;
  if (n === 0)
    throw new Error(`wan bench: ENTENTE_BENCH_WAN is '${work}', expected study, compare or sort`);
  const x = s.input(me1!, int(32), s.me === me1 ? rand32(n, 1) : n);
  const y = s.input(me2!, int(32), s.me === me2 ? rand32(n, 2) : n);
  await Promise.all([x.shares, y.shares]);
  const op = work === 'compare' ? () => x.lt(y).shares : () => x.sort().shares;
  const first = await measure(s, 'first', op);
  // The sort runs once: at 100 ms RTT one call takes tens of seconds.
  if (work === 'sort') return { whole: first, parts: [] };
  const warm = await measure(s, 'warm', op);
  return { whole: first, parts: [warm] };
}
