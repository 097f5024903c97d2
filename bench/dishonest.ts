/**
 * Dishonest-majority benchmark: semi2k and spdz2k with n = 2 and 3.
 *
 *   npm run bench -- dishonest [--parties 2,3] [--tls] [--no-memory] [--scale 1] [--tinyot-only]
 *
 * Measures, per suite and party count: OT-based triple generation (triples
 * per second, bytes per triple; the first batch after setup on its own, as a
 * cold start, and the next two batches of the same size as the steady
 * state), online multiplications per second on
 * preprocessed triples, and 10k 32-bit comparisons (preprocessing, then the
 * online phase), and for spdz2k TinyOT authenticated random bits and AND
 * triples (the boolean material comparisons are meant to move to). In memory every party runs in this one process (so the
 * figures include all parties' work on one thread); with --tls each party is
 * its own process (`entente run`) over loopback TLS 1.3, as in deployment.
 * spdz2k's online phase in memory is also run on insecure-dealer material,
 * which isolates the online cost from the (slow) OT preprocessing. Every
 * line ends with the ratio to the same count of products or comparisons in
 * the clear ("x plain"; triples against the products they serve).
 * --tinyot-only runs just spdz2k's TinyOT rows (authenticated bits and AND
 * triples), without semi2k and the slow arithmetic preprocessing.
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { plainSeconds } from './plain.js';
import { runLocal } from '../src/api/run.js';
import type { SuiteFactory } from '../src/suites/suite.js';
import { semi2kSuite } from '../src/suites/semi2k/semi2k.js';
import { spdz2kFactory, spdz2kSuite } from '../src/suites/spdz2k/spdz2k.js';
import { runFederated } from './federated.js';
import dishonestBench, { type DmConfig, type DmResult, type Phase } from './dishonest-program.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

interface Run {
  label: string;
  parties: number;
  config: DmConfig;
  results: DmResult[];
}

async function inMemory(
  factory: SuiteFactory,
  parties: number,
  config: DmConfig,
): Promise<DmResult[]> {
  process.env.ENTENTE_BENCH_DM = JSON.stringify(config);
  const outs = await runLocal(dishonestBench, {
    suite: factory,
    parties,
    crypto: nodeCryptoProvider,
    roundTimeoutMs: 600_000,
  });
  return outs.map((o) => o.result);
}

async function overTls(suite: string, parties: number, config: DmConfig): Promise<DmResult[]> {
  return runFederated<DmResult>({
    name: 'bench-dishonest',
    suite,
    transport: 'tls',
    parties,
    program: 'bench/dishonest-program.ts',
    env: { ENTENTE_BENCH_DM: JSON.stringify(config) },
  });
}

/** The slowest party's time, all parties' bytes. */
type PhaseKey =
  'triplesCold' | 'triples' | 'mulPrep' | 'mul' | 'cmpPrep' | 'cmp' | 'authBits' | 'andTriples';

function phase(results: DmResult[], key: PhaseKey) {
  const ps = results.map((r) => r[key]).filter((p): p is Phase => p !== undefined);
  if (ps.length === 0) return undefined;
  return {
    count: ps[0]!.count,
    seconds: Math.max(...ps.map((p) => p.seconds)),
    cpuSeconds: ps.reduce((a, p) => a + p.cpuSeconds, 0),
    bytes: ps.reduce((a, p) => a + p.bytesSent, 0),
    rounds: Math.max(...ps.map((p) => p.rounds)),
  };
}

function fmtRate(x: number): string {
  return x >= 1e6
    ? `${(x / 1e6).toFixed(2)} M/s`
    : x >= 1e3
      ? `${(x / 1e3).toFixed(1)} k/s`
      : `${x.toFixed(0)} /s`;
}

function report(run: Run, shared: boolean): void {
  const r = run.results;
  console.log(
    `\n${run.label} (n=${run.parties}); setup + warm-up ${Math.max(...r.map((x) => x.warmupSeconds)).toFixed(2)} s`,
  );
  const line = (name: string, key: PhaseKey) => {
    const p = phase(r, key);
    if (!p) return;
    // In one process the CPU time of this process counts every party once.
    const cpu = shared ? r[0]![key]!.cpuSeconds : p.cpuSeconds;
    console.log(
      `  ${name.padEnd(28)} ${String(p.count).padStart(8)} in ${p.seconds.toFixed(3).padStart(8)} s = ${fmtRate(p.count / p.seconds).padStart(10)}` +
        `  (${fmtRate(p.count / cpu).padStart(10)} per CPU-s)  ${(p.bytes / p.count).toFixed(0).padStart(7)} B/elem (all parties)  ${p.rounds} rounds` +
        `  ${(p.seconds / plainSeconds(key.startsWith('cmp') ? 'cmp' : 'mul', p.count)).toFixed(0)}x plain`,
    );
  };
  line('triples, first batch (cold)', 'triplesCold');
  line('triples, steady state', 'triples');
  line('triples for the muls', 'mulPrep');
  line('online multiplications', 'mul');
  line('comparison preprocessing', 'cmpPrep');
  line('online comparisons', 'cmp');
  // Against products in the clear (an AND of bits would be cheaper still).
  line('TinyOT authenticated bits', 'authBits');
  line('TinyOT AND triples (bucketed)', 'andTriples');
  const m = r[0]!.cmpPrep?.material;
  if (m)
    console.log(
      `  material per comparison: ${Object.entries(m)
        .map(([k, v]) => `${k} ${(v / r[0]!.cmpPrep!.count).toFixed(1)}`)
        .join(', ')}`,
    );
}

export async function runDishonest(args: string[]): Promise<void> {
  const scale = Number(option(args, 'scale') ?? '1');
  const ns = (option(args, 'parties') ?? '2,3').split(',').map(Number);
  const k = (x: number) => Math.max(1, Math.round(x * scale));
  const semi: DmConfig = { triples: k(100_000), muls: k(1_000_000), cmps: k(10_000) };
  const spdzOt: DmConfig = {
    triples: k(8192),
    muls: 0,
    cmps: 0,
    authBits: k(1_000_000),
    andTriples: k(131_072),
  };
  const spdzOnline: DmConfig = { triples: 0, muls: k(1_000_000), cmps: k(10_000) };
  const dealer = spdz2kFactory({ preprocessing: 'insecureDealer', allowInsecure: true });
  if (args.includes('--tinyot-only')) {
    const tiny: DmConfig = {
      triples: 0,
      muls: 0,
      cmps: 0,
      authBits: k(1_000_000),
      andTriples: k(131_072),
    };
    for (const n of ns) {
      if (!args.includes('--no-memory'))
        report(
          {
            label: 'spdz2k TinyOT, in memory',
            parties: n,
            config: tiny,
            results: await inMemory(spdz2kSuite, n, tiny),
          },
          true,
        );
      if (args.includes('--tls'))
        report(
          {
            label: 'spdz2k TinyOT over TLS',
            parties: n,
            config: tiny,
            results: await overTls('spdz2k', n, tiny),
          },
          false,
        );
    }
    return;
  }
  if (!args.includes('--no-memory')) {
    console.log("In memory: all parties in this process (one thread does every party's work).");
    for (const n of ns) {
      report(
        {
          label: 'semi2k, OT preprocessing',
          parties: n,
          config: semi,
          results: await inMemory(semi2kSuite, n, semi),
        },
        true,
      );
      report(
        {
          label: 'spdz2k, OT preprocessing',
          parties: n,
          config: spdzOt,
          results: await inMemory(spdz2kSuite, n, spdzOt),
        },
        true,
      );
      report(
        {
          label: 'spdz2k online on INSECURE dealer material',
          parties: n,
          config: spdzOnline,
          results: await inMemory(dealer, n, spdzOnline),
        },
        true,
      );
    }
  }
  if (args.includes('--tls')) {
    console.log('\nOver loopback TLS 1.3: one process per party (entente run).');
    const spdzTls: DmConfig = {
      triples: k(8192),
      muls: k(8192),
      cmps: k(10_000),
      authBits: k(1_000_000),
      andTriples: k(131_072),
    };
    for (const n of ns) {
      report(
        {
          label: 'semi2k over TLS',
          parties: n,
          config: semi,
          results: await overTls('semi2k', n, semi),
        },
        false,
      );
      report(
        {
          label: 'spdz2k over TLS',
          parties: n,
          config: spdzTls,
          results: await overTls('spdz2k', n, spdzTls),
        },
        false,
      );
    }
  }
}
