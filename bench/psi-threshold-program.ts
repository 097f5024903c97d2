/**
 * The threshold-PSI program of `npm run bench -- psi`, run by each of four
 * parties (`entente run --federation`, suite shamir). Each party brings n
 * elements from fixed seeds (benchmark data only): a quarter of the pool is
 * held by all four, a quarter by three, a quarter by two, the rest by one
 * party only; threshold 3, each element with a value summed inside MPC.
 */
import type { Session } from '../src/index.js';
import { int } from '../src/api/types.js';
import { thresholdPsi } from '../src/psi/index.js';

export interface ThresholdBenchCase {
  n: number;
  seconds: number;
  bytesSent: number;
  passing: number;
  /** The same count on the four sets in the clear (each party can compute it: the data are public seeds). */
  expected: number;
}

/** Party p's elements: pool element e is held by parties p with (e + p) mod 4 < 4 - (e mod 4). */
function elements(p: number, n: number): string[] {
  const out: string[] = [];
  for (let e = 0; out.length < n; e++) {
    const holders = 4 - (e % 4);
    if ((e + p) % 4 < holders) out.push(`element-${e}`);
  }
  return out;
}

function plainPassing(n: number): number {
  const count = new Map<string, number>();
  for (let p = 0; p < 4; p++) for (const e of elements(p, n)) count.set(e, (count.get(e) ?? 0) + 1);
  return [...count.values()].filter((c) => c >= 3).length;
}

export default async function thresholdBench(s: Session): Promise<ThresholdBenchCase[]> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const sizes = (env.ENTENTE_BENCH_PSI_THRESHOLD ?? '1024').split(',').filter(Boolean).map(Number);
  const out: ThresholdBenchCase[] = [];
  for (const n of sizes) {
    const mine = elements(s.party.index, n);
    const values = mine.map((_, k) => k % 100);
    const before = s.stats().bytesSent;
    const t = performance.now();
    const r = await thresholdPsi(s, mine, { threshold: 3, valueType: int(16) }, values);
    const c = {
      n,
      seconds: (performance.now() - t) / 1000,
      bytesSent: s.stats().bytesSent - before,
      passing: r.fingerprints.length,
      expected: plainPassing(n),
    };
    out.push(c);
    console.error(`${s.me}: threshold n=${n}: ${c.seconds.toFixed(2)} s`);
  }
  return out;
}
