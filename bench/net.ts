/**
 * The network benchmark: rep3 (semi-honest) and rep3m (malicious, honest
 * majority) multiplications and comparisons between three processes over
 * loopback TLS 1.3 (`entente run` with a fresh federation on 127.0.0.1),
 * beside the same program with all parties in one process in memory.
 *
 *   npm run bench -- net [--suites rep3,rep3m] [--sizes 10000,100000,1000000] [--lt 100000] [--rounds 10000]
 *                        [--transport tls|ws|both] [--no-memory] [--no-start] [--runs 5]
 *
 * Prints, per batch size: the median time of one batch of multiplications
 * (slowest party), multiplications per second, bytes each party sends per
 * multiplication, rounds, and the ratio to the same products in the clear,
 * the first (cold) call beside; the same for 32-bit comparisons;
 * and the time of one round (a chain of one-element
 * openings), which is the latency floor of every interactive step. Then the
 * whole-command time of a one-input-one-reveal program (bench/start.ts).
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { runLocal } from '../src/api/run.js';
import { runFederated } from './federated.js';
import { plainSeconds } from './plain.js';
import netBench, { type NetBenchResult } from './net-program.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function overNetwork(
  suite: string,
  transport: 'tls' | 'ws',
  env: Record<string, string>,
): Promise<NetBenchResult[]> {
  return runFederated<NetBenchResult>({
    name: 'bench-net',
    suite,
    transport,
    parties: 3,
    program: 'bench/net-program.ts',
    env,
  });
}

function report(label: string, results: NetBenchResult[]): void {
  const rt = Math.max(...results.map((r) => r.roundTrip.microsPerRound));
  console.log(`\n${label}`);
  console.log(
    `  one reveal (chain of ${results[0]!.roundTrip.rounds} one-element openings; with rep3m each includes its MAC check): ${rt.toFixed(1)} us`,
  );
  console.log(
    `  ${'n'.padStart(9)} ${'first'.padStart(9)} ${'seconds'.padStart(9)} ${'M mul/s'.padStart(9)} ${'B sent/mul'.padStart(11)} ${'rounds'.padStart(7)} ${'x plain'.padStart(8)}`,
  );
  results[0]!.mul.forEach((m, k) => {
    const seconds = Math.max(...results.map((r) => r.mul[k]!.seconds));
    const first = Math.max(...results.map((r) => r.mul[k]!.first));
    const bytes = Math.max(...results.map((r) => r.mul[k]!.bytesSent));
    console.log(
      `  ${String(m.n).padStart(9)} ${first.toFixed(4).padStart(9)} ${seconds.toFixed(4).padStart(9)} ${(m.n / seconds / 1e6).toFixed(2).padStart(9)} ` +
        `${(bytes / m.n).toFixed(1).padStart(11)} ${String(m.rounds).padStart(7)} ${(seconds / plainSeconds('mul', m.n)).toFixed(0).padStart(8)}`,
    );
  });
  console.log(
    `  ${'n'.padStart(9)} ${'first'.padStart(9)} ${'seconds'.padStart(9)} ${'k lt/s'.padStart(9)} ${'B sent/lt'.padStart(11)} ${'rounds'.padStart(7)}  (32-bit comparisons)`,
  );
  results[0]!.lt.forEach((m, k) => {
    const seconds = Math.max(...results.map((r) => r.lt[k]!.seconds));
    const first = Math.max(...results.map((r) => r.lt[k]!.first));
    const bytes = Math.max(...results.map((r) => r.lt[k]!.bytesSent));
    console.log(
      `  ${String(m.n).padStart(9)} ${first.toFixed(4).padStart(9)} ${seconds.toFixed(4).padStart(9)} ${(m.n / seconds / 1e3).toFixed(1).padStart(9)} ` +
        `${(bytes / m.n).toFixed(1).padStart(11)} ${String(m.rounds).padStart(7)}`,
    );
  });
}

export async function runNet(args: string[]): Promise<void> {
  const env = {
    ENTENTE_BENCH_NET_SIZES: option(args, 'sizes') ?? '10000,100000,1000000',
    ENTENTE_BENCH_NET_ROUNDS: option(args, 'rounds') ?? '10000',
    ENTENTE_BENCH_NET_LT: option(args, 'lt') ?? '100000',
  };
  console.log(
    'multiplications and comparisons of int(32) vectors, 3 parties; multiplication times are means of 10 back-to-back runs after 3 warm-ups (the first beside), comparisons means of 3 after the first',
  );
  const which = option(args, 'transport') ?? 'tls';
  if (which !== 'tls' && which !== 'ws' && which !== 'both')
    throw new RangeError(`--transport: expected tls, ws or both, got '${which}'`);
  for (const suite of (option(args, 'suites') ?? 'rep3,rep3m').split(',')) {
    if (which !== 'ws')
      report(
        `${suite}: 3 processes over TLS 1.3 on 127.0.0.1 (entente run)`,
        await overNetwork(suite, 'tls', env),
      );
    if (which !== 'tls')
      report(
        `${suite}: 3 processes over WebSocket on TLS 1.3 on 127.0.0.1 (entente run)`,
        await overNetwork(suite, 'ws', env),
      );
    if (!args.includes('--no-memory')) {
      Object.assign(process.env, env);
      const outs = await runLocal(netBench, { suite, parties: 3, crypto: nodeCryptoProvider });
      report(
        `${suite}: 1 process, in-memory transport (runLocal), for comparison`,
        outs.map((o) => o.result),
      );
    }
  }
  // The fixed cost of a whole command (bench/start.ts; also `npm run bench -- start`).
  if (!args.includes('--no-start')) await (await import('./start.js')).runStartBench(args);
}
