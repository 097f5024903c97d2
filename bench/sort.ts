/**
 * The sorting benchmark: rep3 sorts and order statistics between three
 * processes over loopback TLS 1.3 (`entente run` with a fresh federation on
 * 127.0.0.1), or all parties in this process (--memory).
 *
 *   npm run bench -- sort [--sizes 10000,1000000] [--warm 10000] [--methods shuffle,batcher] [--select 1000000] [--memory]
 *
 * Prints, per row: the time (slowest party), elements per second, bytes each
 * party sends per element, rounds, and the ratio to sorting the same values
 * in plain JavaScript. "First call" is the first sort the process runs of
 * that method (cold JIT); "warm" the mean of 10 after 3 warm-ups. --select n
 * adds an exact median and 90th percentile (R's type 7: four order
 * statistics) of 3 x n secret values, n per party, by quickselect after a
 * secret shuffle. Batcher rows are skipped above 100k values.
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { runLocal } from '../src/api/run.js';
import { runFederated } from './federated.js';
import { timePlain } from './plain.js';
import sortBench, { type SortRow } from './sort-program.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function plainSortSeconds(n: number): number {
  const a = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
  return timePlain(() => a.slice().sort());
}

function report(label: string, results: SortRow[][]): void {
  console.log(`\n${label}`);
  console.log(
    `  ${'workload'.padEnd(52)} ${'n'.padStart(8)} ${'seconds'.padStart(9)} ${'elem/s'.padStart(9)} ${'B sent/elem'.padStart(12)} ${'rounds'.padStart(7)} ${'x plain sort'.padStart(13)}`,
  );
  results[0]!.forEach((row, k) => {
    const seconds = Math.max(...results.map((r) => r[k]!.seconds));
    const bytes = Math.max(...results.map((r) => r[k]!.bytesSent));
    console.log(
      `  ${row.what.padEnd(52)} ${String(row.n).padStart(8)} ${seconds.toFixed(3).padStart(9)} ${Math.round(
        row.n / seconds,
      )
        .toString()
        .padStart(9)} ` +
        `${(bytes / row.n).toFixed(0).padStart(12)} ${String(Math.round(row.rounds)).padStart(7)} ${(seconds / plainSortSeconds(row.n)).toFixed(0).padStart(13)}`,
    );
  });
}

export async function runSortBench(args: string[]): Promise<void> {
  const env = {
    ENTENTE_BENCH_SORT_SIZES: option(args, 'sizes') ?? '10000,1000000',
    ENTENTE_BENCH_SORT_WARM: option(args, 'warm') ?? '10000',
    ENTENTE_BENCH_SORT_METHODS: option(args, 'methods') ?? 'shuffle,batcher',
    ENTENTE_BENCH_SORT_SELECT: option(args, 'select') ?? '1000000',
  };
  console.log('rep3 sorts of int(32) vectors (values in +-2^30), 3 parties');
  if (args.includes('--memory')) {
    Object.assign(process.env, env);
    const outs = await runLocal(sortBench, {
      suite: 'rep3',
      parties: 3,
      crypto: nodeCryptoProvider,
      roundTimeoutMs: 600_000,
    });
    report(
      '1 process, in-memory transport (runLocal)',
      outs.map((o) => o.result),
    );
    return;
  }
  const results = await runFederated<SortRow[]>({
    name: 'bench-sort',
    suite: 'rep3',
    transport: 'tls',
    parties: 3,
    program: 'bench/sort-program.ts',
    env,
    // A party's longest synchronous step at 1M rows (a comparison batch) can outlast
    // the default idle timeout on a loaded machine.
    timeouts: { idleMs: 600_000 },
  });
  report('3 processes over TLS 1.3 on 127.0.0.1 (entente run)', results);
}
