/**
 * The program of `npm run bench -- sort`, run by each party (`entente run`,
 * or in one process by bench/sort.ts). Options come from the environment:
 * ENTENTE_BENCH_SORT_SIZES (sort sizes, comma-separated), ENTENTE_BENCH_SORT_WARM
 * (the sizes also timed warm, mean of 10 after 3 warm-ups) and
 * ENTENTE_BENCH_SORT_SELECT (values per party for the median and 90th
 * percentile; 0 skips). Times are measured inside the program, after the
 * inputs are shared.
 */
import { int, type Session } from '../src/index.js';
import { quickSelect } from '../src/ops/quicksort.js';
import { sortBy, type SortMethod } from '../src/ops/sort.js';

export interface SortRow {
  what: string;
  n: number;
  seconds: number;
  rounds: number;
  bytesSent: number;
}

function data(n: number, seed: number): number[] {
  // Benchmark data only: a fixed-seed LCG keeps runs comparable (32-bit values).
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 2 ** 31) - 2 ** 30;
  });
}

async function timed(
  s: Session,
  what: string,
  n: number,
  runs: number,
  f: () => Promise<unknown>,
): Promise<SortRow> {
  const before = s.stats();
  const t = performance.now();
  for (let r = 0; r < runs; r++) await f();
  const seconds = (performance.now() - t) / 1000 / runs;
  const after = s.stats();
  // In one process, let every party read its clock before any starts the next step.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return {
    what,
    n,
    seconds,
    rounds: (after.rounds - before.rounds) / runs,
    bytesSent: (after.bytesSent - before.bytesSent) / runs,
  };
}

export default async function sortBench(s: Session): Promise<SortRow[]> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const list = (v: string | undefined, d: string) =>
    (v ?? d).split(',').filter(Boolean).map(Number);
  const sizes = list(env.ENTENTE_BENCH_SORT_SIZES, '10000');
  const warm = list(env.ENTENTE_BENCH_SORT_WARM, '10000');
  const methods = (env.ENTENTE_BENCH_SORT_METHODS ?? 'shuffle,batcher').split(',') as SortMethod[];
  const select = Number(env.ENTENTE_BENCH_SORT_SELECT ?? '0');
  const rows: SortRow[] = [];
  const suite = s.suite;
  for (const n of sizes) {
    const x = s.input('p1', int(32), s.me === 'p1' ? data(n, 1) : n);
    const k = await x.shares;
    for (const method of methods) {
      if (method === 'batcher' && n > 100_000) continue; // hours at 1M
      const f = () => sortBy(suite, k, 32, [], false, method);
      rows.push(await timed(s, `sort ${method}, first call`, n, 1, f));
      if (warm.includes(n)) {
        for (let r = 0; r < 3; r++) await f();
        rows.push(await timed(s, `sort ${method}, warm (mean of 10)`, n, 10, f));
      }
    }
  }
  if (select > 0) {
    // Each party's own values, one secret vector of 3 x select; ranks of R's type 7.
    const parts = s.parties.map((p, i) =>
      s.input(p, int(32), s.me === p ? data(select, 11 + i) : select),
    );
    const all = s.concat(parts);
    const k = await all.shares;
    const N = k.length;
    const ranksOf = (p: number) => {
      const h = (N - 1) * p; // 0-based: x_(floor h) and x_(floor h + 1)
      return [Math.floor(h), Math.min(N - 1, Math.floor(h) + 1)];
    };
    const ranks = [...ranksOf(0.5), ...ranksOf(0.9)];
    rows.push(
      await timed(s, 'median and 90th percentile (quickselect, 4 ranks)', N, 1, async () => {
        const out = await quickSelect(suite, k, 32, ranks);
        await suite.open(
          out.keys,
          s.parties.map((_, i) => i),
        );
      }),
    );
  }
  return rows;
}
