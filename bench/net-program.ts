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
    /** The first multiplication of this size (cold), beside the warm mean. */
    first: number;
    seconds: number;
    rounds: number;
    bytesSent: number;
    bytesReceived: number;
  }>;
  /** 32-bit comparisons (x < y): the first call, then the mean of three. */
  lt: Array<{ n: number; first: number; seconds: number; rounds: number; bytesSent: number }>;
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
  // Inputs made up front (generating them is not part of any timing).
  const inputs = sizes.map((n) => ({
    n,
    x: s.me === 'p1' ? data(n, 1) : n,
    y: s.me === 'p2' ? data(n, 2) : n,
  }));
  for (const { n, x: xs, y: ys } of inputs) {
    const x = s.input('p1', int(32), xs);
    const y = s.input('p2', int(32), ys);
    await Promise.all([x.shares, y.shares]);
    // Three warm-ups, then the mean of ten back-to-back runs: single runs are
    // phase-shifted between parties (each starts its clock at a different
    // point of the others' work), which several runs in a row cancel out.
    const RUNS = 10;
    const t1 = performance.now();
    await x.mul(y).shares;
    const first = (performance.now() - t1) / 1000;
    for (let r = 0; r < 2; r++) await x.mul(y).shares;
    const before = s.stats();
    const t = performance.now();
    for (let r = 0; r < RUNS; r++) await x.mul(y).shares;
    const seconds = (performance.now() - t) / 1000 / RUNS;
    const after = s.stats();
    // In one process, let every party read its clock before any starts the
    // next size (inputting a million values takes tens of milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 0));
    mul.push({
      n,
      first,
      seconds,
      rounds: (after.rounds - before.rounds) / RUNS,
      bytesSent: (after.bytesSent - before.bytesSent) / RUNS,
      bytesReceived: (after.bytesReceived - before.bytesReceived) / RUNS,
    });
  }
  const lt: NetBenchResult['lt'] = [];
  const ltSizes = (env.ENTENTE_BENCH_NET_LT ?? '100000').split(',').filter(Boolean).map(Number);
  for (const n of ltSizes) {
    const x = s.input('p1', int(32), s.me === 'p1' ? data(n, 1) : n);
    const y = s.input('p2', int(32), s.me === 'p2' ? data(n, 2) : n);
    await Promise.all([x.shares, y.shares]);
    const t1 = performance.now();
    await x.lt(y).shares;
    const first = (performance.now() - t1) / 1000;
    const RUNS = 3;
    const before = s.stats();
    const t = performance.now();
    for (let r = 0; r < RUNS; r++) await x.lt(y).shares;
    const seconds = (performance.now() - t) / 1000 / RUNS;
    const after = s.stats();
    await new Promise((resolve) => setTimeout(resolve, 0));
    lt.push({
      n,
      first,
      seconds,
      rounds: (after.rounds - before.rounds) / RUNS,
      bytesSent: (after.bytesSent - before.bytesSent) / RUNS,
    });
  }
  return { roundTrip: { rounds, microsPerRound }, mul, lt };
}
