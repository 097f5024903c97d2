/**
 * Benchmarks: `npm run bench -- <name> [options]`. Not run in CI; timings
 * never decide a test. Each workload prints throughput, bytes sent per
 * element per party, rounds, and the ratio to a plaintext JavaScript baseline.
 */
import { run2pc } from './2pc.js';
import { runCore } from './core.js';
import { runNet } from './net.js';
import { runStudyBench } from './study.js';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  '2pc': run2pc,
  core: runCore,
  dishonest: async (a) => (await import('./dishonest.js')).runDishonest(a),
  net: runNet,
  study: runStudyBench,
  // bench/stats.ts is a script: it reads its own options (--rows, --suite, --only) from argv.
  stats: async () => {
    await import('./stats.js');
  },
};

const [name, ...rest] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
  process.exit(2);
}
await bench(rest);
