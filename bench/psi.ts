/**
 * The PSI benchmark: two `entente run` processes over loopback TLS 1.3
 * (semi2k federation on 127.0.0.1), running bench/psi-program.ts; then four
 * processes (shamir) running the threshold PSI of bench/psi-threshold-program.ts;
 * then @openmined/psi.js on the same sizes as the ECDH PSI (bench/psi-peers.ts).
 *
 *   npm run bench -- psi [--ot 65536,1048576] [--ecdh 65536] [--threshold 1024]
 *                        [--psijs 10000,65536] [--only ot,ecdh,threshold,join,psijs] [--join 65536] [--join-sort 16384]
 *                        [--ot-outputs receiver,both,cardinality,sum]
 *
 * Prints per case the slower party's time, the bytes each party sent, and
 * the intersection found (half of each set is shared).
 */
import { runFederated } from './federated.js';
import type { PsiBenchCase } from './psi-program.js';
import { loadPsiJs, PSI_JS_VERSION, runPsiJs } from './psi-peers.js';
import type { ThresholdBenchCase } from './psi-threshold-program.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const mb = (b: number) => (b / 1e6).toFixed(1);

export async function runPsi(args: string[]): Promise<void> {
  const only = new Set((option(args, 'only') ?? 'ot,ecdh,threshold,join,psijs').split(','));
  const ecdhSizes = option(args, 'ecdh') ?? '65536';
  const ecdhSeconds = new Map<number, number>();
  if (only.has('ot') || only.has('ecdh')) {
    const results = await runFederated<PsiBenchCase[]>({
      name: 'bench-psi',
      suite: 'semi2k',
      transport: 'tls',
      parties: 2,
      program: 'bench/psi-program.ts',
      // A party computing ECDH or an OKVS for tens of seconds on a loaded machine sends no heartbeat.
      timeouts: { idleMs: 300_000 },
      env: {
        ENTENTE_BENCH_PSI_OT: only.has('ot') ? (option(args, 'ot') ?? '65536,1048576') : '',
        ENTENTE_BENCH_PSI_ECDH: only.has('ecdh') ? ecdhSizes : '',
        // Which OT-based outputs to run (default all): receiver,both,cardinality,sum.
        ENTENTE_BENCH_PSI_OT_OUTPUTS: option(args, 'ot-outputs') ?? '',
      },
    });
    console.log(
      '\nPSI, two processes over loopback TLS 1.3 (semi-honest; half of each set shared)',
    );
    console.log(
      `  ${'protocol'.padEnd(8)} ${'output'.padEnd(26)} ${'n per side'.padStart(10)} ${'seconds'.padStart(8)} ${'MB sent p1/p2'.padStart(14)}  result`,
    );
    results[0]!.forEach((c, k) => {
      const other = results[1]![k]!;
      const seconds = Math.max(c.seconds, other.seconds);
      if (c.protocol === 'ecdh' && c.output === 'intersection') ecdhSeconds.set(c.n, seconds);
      console.log(
        `  ${c.protocol.padEnd(8)} ${c.output.padEnd(26)} ${String(c.n).padStart(10)} ${seconds.toFixed(2).padStart(8)} ${`${mb(c.bytesSent)}/${mb(other.bytesSent)}`.padStart(14)}  ${c.shared}`,
      );
    });
  }
  if (only.has('threshold')) {
    const results = await runFederated<ThresholdBenchCase[]>({
      name: 'bench-psi-threshold',
      suite: 'shamir',
      transport: 'tls',
      parties: 4,
      program: 'bench/psi-threshold-program.ts',
      timeouts: { idleMs: 300_000 },
      env: { ENTENTE_BENCH_PSI_THRESHOLD: option(args, 'threshold') ?? '1024' },
    });
    console.log(
      '\nThreshold PSI, four processes over loopback TLS 1.3 (shamir: semi-honest, honest majority); t = 3, with sums',
    );
    console.log(
      `  ${'n per party'.padStart(11)} ${'seconds'.padStart(8)} ${'MB sent per party (max)'.padStart(24)}  passing (plaintext)`,
    );
    results[0]!.forEach((c, k) => {
      const seconds = Math.max(...results.map((r) => r[k]!.seconds));
      const bytes = Math.max(...results.map((r) => r[k]!.bytesSent));
      console.log(
        `  ${String(c.n).padStart(11)} ${seconds.toFixed(2).padStart(8)} ${mb(bytes).padStart(24)}  ${c.passing} (${c.expected})`,
      );
    });
  }
  // Private joins feeding a secure sum (bench/join.ts: its own --join and --join-sort sizes).
  if (only.has('join')) await (await import('./join.js')).runJoinBench(args);
  if (only.has('psijs')) {
    const psi = await loadPsiJs();
    if (!psi) return;
    const sizes = (option(args, 'psijs') ?? `10000,${ecdhSizes}`)
      .split(',')
      .filter(Boolean)
      .map(Number);
    console.log(
      `\n@openmined/psi.js ${PSI_JS_VERSION} (ECDH, WebAssembly; both parties in one process, no network), intersection`,
    );
    console.log(
      `  ${'n per side'.padStart(10)} ${'seconds'.padStart(8)} ${'MB sent'.padStart(8)}  ${'result'.padStart(7)}  Entente ECDH (same run)`,
    );
    for (const n of sizes) {
      const c = runPsiJs(psi, n);
      const ours = ecdhSeconds.get(n);
      const ratio = ours
        ? `${ours.toFixed(2)} s (psi.js time / Entente's: ${(c.seconds / ours).toFixed(2)})`
        : '-';
      console.log(
        `  ${String(n).padStart(10)} ${c.seconds.toFixed(2).padStart(8)} ${mb(c.bytes).padStart(8)}  ${String(c.shared).padStart(7)}  ${ratio}`,
      );
    }
  }
}
