/**
 * The PSI benchmark: two `entente run` processes over loopback TLS 1.3
 * (semi2k federation on 127.0.0.1), running bench/psi-program.ts.
 *
 *   npm run bench -- psi [--ot 65536,1048576] [--ecdh 65536]
 *
 * Prints per case the slower party's time, the bytes each party sent, and
 * the intersection found (half of each set is shared).
 */
import { runFederated } from './federated.js';
import type { PsiBenchCase } from './psi-program.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runPsi(args: string[]): Promise<void> {
  const results = await runFederated<PsiBenchCase[]>({
    name: 'bench-psi',
    suite: 'semi2k',
    transport: 'tls',
    parties: 2,
    program: 'bench/psi-program.ts',
    env: {
      ENTENTE_BENCH_PSI_OT: option(args, 'ot') ?? '65536,1048576',
      ENTENTE_BENCH_PSI_ECDH: option(args, 'ecdh') ?? '65536',
    },
  });
  console.log('\nPSI, two processes over loopback TLS 1.3 (semi-honest; half of each set shared)');
  console.log(
    `  ${'protocol'.padEnd(8)} ${'output'.padEnd(26)} ${'n per side'.padStart(10)} ${'seconds'.padStart(8)} ${'MB sent p1/p2'.padStart(14)}  result`,
  );
  results[0]!.forEach((c, k) => {
    const other = results[1]![k]!;
    const seconds = Math.max(c.seconds, other.seconds);
    const mb = (b: number) => (b / 1e6).toFixed(1);
    console.log(
      `  ${c.protocol.padEnd(8)} ${c.output.padEnd(26)} ${String(c.n).padStart(10)} ${seconds.toFixed(2).padStart(8)} ${`${mb(c.bytesSent)}/${mb(other.bytesSent)}`.padStart(14)}  ${c.shared}`,
    );
  });
  await (await import('./join.js')).runJoinBench(args);
}
