/**
 * The join row of `npm run bench -- psi`: three `entente run` processes over
 * loopback TLS 1.3 (rep3 federation on 127.0.0.1) run bench/join-program.ts,
 * private joins of n x n rows (half of the keys shared) feeding a secure sum:
 * the helper-aided lookup join at --join sizes, the sort-based join at
 * --join-sort sizes.
 *
 *   npm run bench -- psi [--join 65536] [--join-sort 16384]   ('' skips one)
 */
import { runFederated } from './federated.js';
import type { JoinBenchCase } from './join-program.js';

export async function runJoinBench(args: string[]): Promise<void> {
  const option = (name: string, d: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? (args[i + 1] ?? '') : d;
  };
  const sizes = option('join', '65536');
  const sortSizes = option('join-sort', '16384');
  if (sizes === '' && sortSizes === '') return;
  const results = await runFederated<JoinBenchCase[]>({
    name: 'bench-join',
    suite: 'rep3',
    transport: 'tls',
    parties: 3,
    program: 'bench/join-program.ts',
    env: { ENTENTE_BENCH_JOIN: sizes, ENTENTE_BENCH_JOIN_SORT: sortSizes },
  });
  console.log(
    '\nPrivate join feeding a secure sum, three processes over loopback TLS 1.3 (rep3; half of the keys shared)',
  );
  console.log(
    `  ${'join'.padEnd(6)} ${'n per side'.padStart(10)} ${'seconds'.padStart(8)} ${'rounds'.padStart(7)} ${'MB sent p1/p2/p3'.padStart(18)} ${'x plaintext'.padStart(11)}  sum (plaintext)`,
  );
  results[0]!.forEach((c, k) => {
    const all = results.map((r) => r[k]!);
    const seconds = Math.max(...all.map((x) => x.seconds));
    const mb = all.map((x) => (x.bytesSent / 1e6).toFixed(1)).join('/');
    const ratio = seconds / Math.max(c.plainSeconds, 1e-9);
    console.log(
      `  ${c.method.padEnd(6)} ${String(c.n).padStart(10)} ${seconds.toFixed(2).padStart(8)} ${String(c.rounds).padStart(7)} ${mb.padStart(18)} ${ratio.toExponential(1).padStart(11)}  ${c.sum} (${c.plainSum})${c.sum === c.plainSum ? '' : '  MISMATCH'}`,
    );
  });
}
