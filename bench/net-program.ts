/**
 * The program of `npm run bench -- net`, run by each party (`entente run`).
 * Sizes come from the environment (set by bench/net.ts). Times are measured
 * inside the program, after the inputs are shared, as in bench/core.ts.
 */
import { int, type Session } from '../src/index.js';

export interface NetBenchResult {
  roundTrip: { rounds: number; microsPerRound: number };
  mul: Array<{
    n: number;
    seconds: number;
    rounds: number;
    bytesSent: number;
    bytesReceived: number;
  }>;
}

function data(n: number, seed: number): number[] {
  // Benchmark data only: a fixed-seed LCG keeps runs comparable.
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 2 ** 20) - 2 ** 19;
  });
}

export default async function netBench(s: Session): Promise<NetBenchResult> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const sizes = (env.ENTENTE_BENCH_NET_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  const rounds = Number(env.ENTENTE_BENCH_NET_ROUNDS ?? '10000');

  // Round trip: a chain of one-element openings, one round each.
  const one = s.input('p1', int(8), s.me === 'p1' ? [1] : 1);
  for (let i = 0; i < 1000; i++) await one.reveal(); // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await one.reveal();
  const microsPerRound = ((performance.now() - t0) * 1000) / rounds;

  const mul: NetBenchResult['mul'] = [];
  for (const n of sizes) {
    const x = s.input('p1', int(32), s.me === 'p1' ? data(n, 1) : n);
    const y = s.input('p2', int(32), s.me === 'p2' ? data(n, 2) : n);
    await Promise.all([x.shares, y.shares]);
    await x.mul(y).shares; // warm-up
    const runs = [];
    for (let r = 0; r < 3; r++) {
      const before = s.stats();
      const t = performance.now();
      await x.mul(y).shares;
      const seconds = (performance.now() - t) / 1000;
      const after = s.stats();
      runs.push({
        n,
        seconds,
        rounds: after.rounds - before.rounds,
        bytesSent: after.bytesSent - before.bytesSent,
        bytesReceived: after.bytesReceived - before.bytesReceived,
      });
    }
    runs.sort((a, b) => a.seconds - b.seconds);
    mul.push(runs[1]!);
  }
  return { roundTrip: { rounds, microsPerRound }, mul };
}
