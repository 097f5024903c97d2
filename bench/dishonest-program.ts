/**
 * The program of `npm run bench -- dishonest`, run by every party (in memory
 * through runLocal, or as `entente run` over loopback TLS). What to measure
 * comes from the environment variable ENTENTE_BENCH_DM (JSON, set by
 * bench/dishonest.ts). Times are measured inside the program.
 */
import { int, type Session } from '../src/index.js';
import type { Counts } from '../src/suites/semi2k/material.js';
import { semi2kCost } from '../src/suites/semi2k/cost.js';
import { spdz2kCost } from '../src/suites/spdz2k/cost.js';
import { TinyOt } from '../src/suites/spdz2k/tinyot.js';
import type { Party } from '../src/runtime/party.js';

export interface DmConfig {
  /**
   * Triples per batch: after setup (base OTs and a small batch), one cold
   * batch of this size is timed on its own, then `steadyBatches` more
   * together (the steady-state rate, once the code and buffers for batches
   * of this size are warm).
   */
  triples: number;
  /** Batches in the steady-state measurement (default 2). */
  steadyBatches?: number;
  /** Online multiplications, on triples preprocessed first (0: skip). */
  muls: number;
  /** Online 32-bit comparisons, on material preprocessed first (0: skip). */
  cmps: number;
  /**
   * spdz2k only: TinyOT authenticated random bits (src/suites/spdz2k/tinyot.ts)
   * to generate, after a small warm-up batch (0 or absent: skip).
   */
  authBits?: number;
  /**
   * spdz2k only: TinyOT authenticated AND triples (leaky triples and
   * bucketing, one batch after a small warm-up batch; 0 or absent: skip).
   */
  andTriples?: number;
}

export interface Phase {
  count: number;
  seconds: number;
  cpuSeconds: number;
  bytesSent: number;
  rounds: number;
}

export interface DmResult {
  party: string;
  parties: number;
  warmupSeconds: number;
  /** The first batch after setup. */
  triplesCold?: Phase;
  /** The next batches, together. */
  triples?: Phase;
  mulPrep?: Phase;
  mul?: Phase;
  cmpPrep?: Phase & { material: Counts };
  cmp?: Phase;
  authBits?: Phase;
  andTriples?: Phase;
}

interface Preprocessing {
  preprocess(c: Counts): Promise<void>;
}

function data(n: number, seed: number): number[] {
  // Benchmark data only: a fixed-seed LCG keeps runs comparable.
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 2 ** 20) - 2 ** 19;
  });
}

function cpuNow(): number {
  const p = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process;
  if (!p) return 0;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timed(s: Session, count: number, f: () => Promise<unknown>): Promise<Phase> {
  const before = s.stats();
  const c0 = cpuNow();
  const t = performance.now();
  await f();
  const seconds = (performance.now() - t) / 1000;
  const after = s.stats();
  return {
    count,
    seconds,
    cpuSeconds: cpuNow() - c0,
    bytesSent: after.bytesSent - before.bytesSent,
    rounds: after.rounds - before.rounds,
  };
}

export default async function dishonestBench(s: Session): Promise<DmResult> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const cfg = JSON.parse(env.ENTENTE_BENCH_DM ?? '{"triples":10000,"muls":0,"cmps":0}') as DmConfig;
  const suite = s.suite as unknown as Preprocessing;
  const table = s.suite.name === 'spdz2k' ? spdz2kCost : semi2kCost;
  const out: DmResult = { party: s.me, parties: s.parties.length, warmupSeconds: 0 };
  // Warm-up: base OTs, JIT, the first batch.
  const w = performance.now();
  await suite.preprocess({ triple: 1024 });
  out.warmupSeconds = (performance.now() - w) / 1000;

  if (cfg.triples > 0) {
    const n = cfg.triples;
    out.triplesCold = await timed(s, n, () => suite.preprocess({ triple: n }));
    const batches = cfg.steadyBatches ?? 2;
    out.triples = await timed(s, n * batches, async () => {
      for (let b = 0; b < batches; b++) await suite.preprocess({ triple: n });
    });
  }

  const last = s.parties[s.parties.length - 1]!;
  if (cfg.muls > 0) {
    const n = cfg.muls;
    out.mulPrep = await timed(s, n, () => suite.preprocess({ triple: n }));
    const x = s.input(s.parties[0]!, int(32), s.me === s.parties[0] ? data(n, 1) : n);
    const y = s.input(last, int(32), s.me === last ? data(n, 2) : n);
    await Promise.all([x.shares, y.shares]);
    out.mul = await timed(s, n, () => x.mul(y).shares);
  }

  if (cfg.cmps > 0) {
    const n = cfg.cmps;
    const x = s.input(s.parties[0]!, int(32), s.me === s.parties[0] ? data(n, 3) : n);
    const y = s.input(last, int(32), s.me === last ? data(n, 4) : n);
    await Promise.all([x.shares, y.shares]);
    // x < y on int(32) compares x - y, a 33-bit value.
    const material = table({ op: 'ltz', n, bound: 33 }, s.parties.length);
    out.cmpPrep = { ...(await timed(s, n, () => suite.preprocess(material))), material };
    out.cmp = await timed(s, n, () => x.lt(y).shares);
  }

  if ((cfg.authBits ?? 0) > 0 && s.suite.name === 'spdz2k') {
    const n = cfg.authBits!;
    // The bench reaches the suite's party (an internal) to run TinyOT beside it.
    const t = new TinyOt((s.suite as unknown as { party: Party }).party);
    await t.random(1024); // base OTs of its own OT mesh, warm-up
    out.authBits = await timed(s, n, () => t.random(n));
  }
  if ((cfg.andTriples ?? 0) > 0 && s.suite.name === 'spdz2k') {
    const n = cfg.andTriples!;
    const t = new TinyOt((s.suite as unknown as { party: Party }).party);
    await t.andTriples(1024); // base OTs of its own OT mesh, warm-up
    out.andTriples = await timed(s, n, () => t.andTriples(n));
  }
  return out;
}
