/**
 * Benchmarks: `npm run bench -- <name> [options]`. Not run in CI; timings
 * never decide a test. Each workload prints throughput, bytes sent per
 * element per party, rounds, and the ratio to a plaintext JavaScript baseline.
 */

// Each benchmark is imported only when chosen: the others' modules would
// enlarge the heap that every garbage collection walks (at 1M-element
// workloads a full collection runs about once per operation, so a larger
// heap measurably lowers throughput).
const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  '2pc': async (a) => (await import('./2pc.js')).run2pc(a),
  apps: async (a) => (await import('./apps.js')).runAppsBench(a),
  core: async (a) => (await import('./core.js')).runCore(a),
  dap: async (a) => (await import('./dap.js')).runDapBench(a),
  dishonest: async (a) => (await import('./dishonest.js')).runDishonest(a),
  he: async (a) => (await import('./he.js')).runHeBench(a),
  net: async (a) => (await import('./net.js')).runNet(a),
  node: async (a) => (await import('./node.js')).runNodeBench(a),
  prio3: async (a) => (await import('./prio3.js')).runPrio3Bench(a),
  psi: async (a) => (await import('./psi.js')).runPsi(a),
  scale: async (a) => (await import('./scale.js')).runScaleBench(a),
  sort: async (a) => (await import('./sort.js')).runSortBench(a),
  start: async (a) => (await import('./start.js')).runStartBench(a),
  study: async (a) => (await import('./study.js')).runStudyBench(a),
  vote: async (a) => (await import('./vote.js')).runVoteBench(a),
  wan: async (a) => (await import('./wan.js')).runWanBench(a),
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
// Every figure depends on which AES the parties use (ENTENTE_NATIVE=0 forces node:crypto).
const { aesBackend } = await import('../src/adapters/node/crypto.js');
console.log(`AES: ${aesBackend()}`);
await bench(rest);
