/**
 * The program of the join row of `npm run bench -- psi`, run by each of three
 * parties (`entente run --federation`, suite rep3): p1 holds n keys, p2 n
 * (key, amount) rows, p3 computes only (the helper of the aided join); half
 * of the keys are shared (fixed seeds, benchmark data only). A private join
 * (src/join) feeds a secure sum of p2's amounts over the matched rows, and
 * the sum alone is opened. Timed at each party from its call to the opened sum.
 */
import type { Session } from '../src/index.js';
import { int } from '../src/api/types.js';
import type { SecretInt } from '../src/api/secret.js';
import { lookupJoin } from '../src/join/aided.js';
import { privateJoin } from '../src/join/join.js';

export interface JoinBenchCase {
  /** 'aided': the helper-aided lookup join (src/join/aided.ts); 'sort': the sort-based join (src/join/join.ts). */
  method: 'aided' | 'sort';
  n: number;
  seconds: number;
  bytesSent: number;
  rounds: number;
  sum: string;
  plainSum: string;
  plainSeconds: number;
}

/** The benchmark tables: p1's and p2's keys, half in common, and p2's amounts. */
export function joinBenchData(n: number): { k1: number[]; k2: number[]; amounts: number[] } {
  const half = n >>> 1;
  const k1 = Array.from({ length: n }, (_, i) => 3 * i);
  // p2's first half meets p1's even rows; its second half meets nobody (keys 3i + 1).
  const k2 = Array.from({ length: n }, (_, i) => (i < half ? 6 * i : 3 * i + 1));
  const amounts = Array.from({ length: n }, (_, i) => (i * 7919) % 10_000);
  return { k1, k2, amounts };
}

export default async function joinBench(s: Session): Promise<JoinBenchCase[]> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const list = (v: string | undefined, d: string) =>
    (v ?? d).split(',').filter(Boolean).map(Number);
  const cases = [
    ...list(env.ENTENTE_BENCH_JOIN, '65536').map((n) => ['aided', n] as const),
    ...list(env.ENTENTE_BENCH_JOIN_SORT, '16384').map((n) => ['sort', n] as const),
  ];
  const out: JoinBenchCase[] = [];
  for (const [method, n] of cases) {
    const d = joinBenchData(n);
    // The plaintext baseline: a hash join and the sum.
    const tp = performance.now();
    const right = new Map(d.k2.map((k, i) => [k, d.amounts[i]!]));
    let plain = 0;
    for (const k of d.k1) plain += right.get(k) ?? 0;
    const plainSeconds = (performance.now() - tp) / 1000;

    const before = s.stats();
    const t = performance.now();
    let amount: SecretInt;
    if (method === 'aided') {
      const j = await lookupJoin(
        s,
        {
          table: { party: 'p2', rows: n, columns: [{ name: 'amount', type: int(16) }] },
          probe: { party: 'p1', rows: n },
          helper: 'p3',
        },
        s.me === 'p2'
          ? { ids: d.k2.map(String), columns: { amount: d.amounts } }
          : s.me === 'p1'
            ? { ids: d.k1.map(String) }
            : undefined,
      );
      amount = j.columns.get('amount')!;
    } else {
      const j = privateJoin(
        s,
        { party: 'p1', rows: n, columns: [] },
        { party: 'p2', rows: n, columns: [{ name: 'amount', type: int(16) }] },
        {
          ...(s.me === 'p1' ? { left: { keys: d.k1, columns: {} } } : {}),
          ...(s.me === 'p2' ? { right: { keys: d.k2, columns: { amount: d.amounts } } } : {}),
        },
        // Only the sum is opened: no row-wise opening, so no shuffle.
        { shuffle: false },
      );
      amount = j.columns.get('amount') as SecretInt;
    }
    // Joined columns are 0 on unmatched rows: the sum needs no weight.
    const sum = await amount.sum().reveal();
    const after = s.stats();
    const c: JoinBenchCase = {
      method,
      n,
      seconds: (performance.now() - t) / 1000,
      bytesSent: after.bytesSent - before.bytesSent,
      rounds: after.rounds - before.rounds,
      sum: String(sum[0]),
      plainSum: String(plain),
      plainSeconds,
    };
    out.push(c);
    console.error(`${s.me}: ${method} join n=${n}: ${c.seconds.toFixed(2)} s`);
  }
  return out;
}
