/**
 * The core engine benchmark (issue: core engine): rep3, rep3m and shamir(n=3), all
 * parties in this process over the in-memory transport.
 *
 *   npm run bench -- core [--suites rep3,rep3m,shamir] [--only mul,dot,...] [--scale 0.1]
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { fixed, int, runLocal, type Session } from '../src/index.js';
import { timePlain } from './plain.js';

interface Workload {
  name: string;
  /** Elements processed. */
  n: number;
  /** The secure program; returns after the result is computed (shares resolved). */
  secure: (s: Session, n: number) => Promise<unknown>;
  /** Prepares plain data and returns the same computation in plain JavaScript, for the ratio. */
  plain: (n: number) => () => unknown;
}

function rand32(n: number, seed: number): number[] {
  // Benchmark data only (not secrets of anyone): a fixed-seed LCG keeps runs comparable.
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 2 ** 20) - 2 ** 19;
  });
}

const I32 = int(32);
const FX = fixed();

/** Inputs two int vectors (from p1 and p2) and waits for them. */
async function two(s: Session, n: number, t = I32) {
  const x = s.input('p1', t, s.me === 'p1' ? rand32(n, 1) : n);
  const y = s.input('p2', t, s.me === 'p2' ? rand32(n, 2) : n);
  await Promise.all([x.shares, y.shares]);
  return [x, y] as const;
}

/** Inputs two fixed-point vectors of values in about +-128. */
async function twoFixed(s: Session, n: number) {
  const x = s.input('p1', FX, s.me === 'p1' ? rand32(n, 1).map((v) => v * 2 ** -12) : n);
  const y = s.input('p2', FX, s.me === 'p2' ? rand32(n, 2).map((v) => v * 2 ** -12) : n);
  await Promise.all([x.shares, y.shares]);
  return [x, y] as const;
}

const WORKLOADS: Workload[] = [
  {
    name: 'mul',
    n: 1_000_000,
    secure: async (s, n) => {
      const [x, y] = await two(s, n);
      return mark(s, () => x.mul(y).shares);
    },
    plain: (n) => {
      const a = BigInt64Array.from(rand32(n, 1), BigInt);
      const b = BigInt64Array.from(rand32(n, 2), BigInt);
      const c = new BigInt64Array(n);
      return () => {
        for (let i = 0; i < n; i++) c[i] = a[i]! * b[i]!;
        return c;
      };
    },
  },
  {
    name: 'dot',
    n: 1_000_000,
    secure: async (s, n) => {
      // 21-bit values: a sum of 1M products stays within 64 bits.
      const [x, y] = await two(s, n, int(21));
      return mark(s, () => x.dot(y).shares);
    },
    plain: (n) => {
      const a = Float64Array.from(rand32(n, 1));
      const b = Float64Array.from(rand32(n, 2));
      return () => {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += a[i]! * b[i]!;
        return acc;
      };
    },
  },
  {
    name: 'lt32',
    n: 100_000,
    secure: async (s, n) => {
      const [x, y] = await two(s, n);
      return mark(s, () => x.lt(y).shares);
    },
    plain: (n) => {
      const a = Int32Array.from(rand32(n, 1));
      const b = Int32Array.from(rand32(n, 2));
      return () => a.map((v, i) => (v < b[i]! ? 1 : 0));
    },
  },
  {
    name: 'fixmul',
    n: 100_000,
    secure: async (s, n) => {
      const [x, y] = await twoFixed(s, n);
      return mark(s, () => x.mul(y).shares);
    },
    plain: (n) => {
      const a = Float64Array.from(rand32(n, 1), (v) => v * 2 ** -12);
      const b = Float64Array.from(rand32(n, 2), (v) => v * 2 ** -12);
      return () => a.map((v, i) => v * b[i]!);
    },
  },
  {
    name: 'div',
    n: 10_000,
    secure: async (s, n) => {
      const [x, y] = await twoFixed(s, n);
      return mark(s, () => x.div(y).shares);
    },
    plain: (n) => {
      const a = Float64Array.from(rand32(n, 1), (v) => v * 2 ** -12);
      const b = Float64Array.from(rand32(n, 2), (v) => v * 2 ** -12);
      return () => a.map((v, i) => v / b[i]!);
    },
  },
  {
    // The suite's default sort: shuffle then quicksort under rep3 and shamir.
    name: 'sort',
    n: 10_000,
    secure: async (s, n) => {
      const [x] = await two(s, n);
      return mark(s, () => x.sort().shares);
    },
    plain: (n) => {
      const a = Int32Array.from(rand32(n, 1));
      return () => a.slice().sort();
    },
  },
  {
    name: 'sort-batcher',
    n: 10_000,
    secure: async (s, n) => {
      const [x] = await two(s, n);
      return mark(s, () => s.sortBy(x, [], { method: 'batcher' }).keys.shares);
    },
    plain: (n) => {
      const a = Int32Array.from(rand32(n, 1));
      return () => a.slice().sort();
    },
  },
];

/** Stats of the measured part only. */
const marks = new WeakMap<
  Session,
  { first: number; seconds: number; rounds: number; bytes: number }
>();
/**
 * Three warm-up runs (the JIT compiles the kernels, the allocator reaches its
 * steady state: a first run of a large workload pays for fresh pages and
 * unoptimised code), then ten back-to-back runs, reported as their mean.
 * Not the median of single runs: the parties share one thread, so each
 * party's single run starts at a different point of the others' work (one
 * party's runs measured 12, 37, 46, 14, 38 ms for a steady 29 ms per run);
 * over several runs those phase shifts cancel. The counts are fixed, never
 * time-dependent: every party must run the same program.
 */
async function mark(s: Session, f: () => Promise<unknown>): Promise<void> {
  const RUNS = 10;
  // The first call apart: what a user running a query once sees (cold JIT).
  const t1 = performance.now();
  await f();
  const first = (performance.now() - t1) / 1000;
  for (let r = 0; r < 2; r++) await f();
  const before = s.stats();
  const t0 = performance.now();
  for (let r = 0; r < RUNS; r++) await f();
  const seconds = (performance.now() - t0) / 1000 / RUNS;
  const after = s.stats();
  marks.set(s, {
    first,
    seconds,
    rounds: (after.rounds - before.rounds) / RUNS,
    bytes: (after.bytesSent - before.bytesSent) / RUNS,
  });
}

/** Median of three timed runs after a warm-up. */
function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(1);
}

export async function runCore(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const suites = (opt('suites') ?? 'rep3,rep3m,shamir').split(',');
  const only = opt('only')?.split(',');
  const scale = Number(opt('scale') ?? '1');
  console.log(
    `core benchmark: all parties in one process, in-memory transport (node ${process.version})`,
  );
  console.log(
    'suite      workload      elements  first call  seconds   elem/s     rounds  bytes/elem/party  plain elem/s  slowdown',
  );
  for (const suite of suites) {
    for (const w of WORKLOADS) {
      if (only && !only.includes(w.name)) continue;
      const n = Math.max(1, Math.round(w.n * scale));
      const sessions: Session[] = [];
      try {
        await runLocal(
          async (s) => {
            sessions.push(s);
            return w.secure(s, n);
          },
          { suite, parties: 3, crypto: nodeCryptoProvider, roundTimeoutMs: 600_000 },
        );
      } catch (e) {
        console.log(`${suite.padEnd(10)} ${w.name.padEnd(13)} failed: ${(e as Error).message}`);
        continue;
      }
      const m = sessions.map((s) => marks.get(s)!);
      const seconds = Math.max(...m.map((x) => x.seconds));
      const first = Math.max(...m.map((x) => x.first));
      const rounds = m[0]!.rounds;
      const bytes = m.reduce((a, x) => a + x.bytes, 0) / m.length / n;
      const plain = timePlain(w.plain(n));
      console.log(
        `${suite.padEnd(10)} ${w.name.padEnd(13)} ${String(n).padStart(8)}  ${first.toFixed(3).padStart(10)}   ${seconds.toFixed(3).padStart(7)}   ${fmt(n / seconds).padStart(7)}   ${String(rounds).padStart(6)}  ${bytes.toFixed(1).padStart(16)}  ${fmt(n / plain).padStart(12)}  ${(seconds / plain).toFixed(0).padStart(7)}x`,
      );
    }
  }
}
