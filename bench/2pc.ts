/**
 * Two-party benchmark (the yao suite and its primitives):
 *
 *   npm run bench -- 2pc [--ots N] [--blocks N] [--transport tls|memory|both]
 *
 * Reports, between two processes over loopback TLS 1.3 (`entente run`) and/or
 * both parties in one process over the in-memory transport: OT extension
 * throughput (random OTs with the KOS check, plain IKNP, and the correlated
 * OTs yao uses), AES-128 in 2PC (single-block latency and the amortised cost
 * over many blocks, garbler's key and evaluator's block, including the
 * evaluator's input OTs; base OTs are setup and reported apart), end-to-end
 * AND gates per second, 32-bit comparisons and multiplications through the
 * program API, and bytes each party sends, rounds, and the ratio to the same
 * work in the clear (see `baselines`). Also the local garbling and
 * evaluation rates without any network. Times: medians; the slower party.
 */
import { createCipheriv } from 'node:crypto';
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { runLocal } from '../src/api/run.js';
import { Prg } from '../src/random/prg.js';
import { runFederated } from './federated.js';
import { bristolCircuit } from '../test/circuits.js';
import { Evaluator, Garbler } from '../src/primitives/garble/halfgates.js';
import { plainSeconds, timePlain } from './plain.js';
import twoPcBench, { type Timing, type TwoPcResult } from './2pc-program.js';
import { GARBLER } from '../src/suites/yao/yao.js';

const AES_ANDS = 6400;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function overTls(env: Record<string, string>): Promise<TwoPcResult[]> {
  return runFederated<TwoPcResult>({
    name: 'bench-2pc',
    suite: 'yao',
    transport: 'tls',
    parties: 2,
    program: 'bench/2pc-program.ts',
    env,
  });
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/**
 * The same work in the clear, in seconds (median of three after a warm-up),
 * for the "x plaintext" ratios: for OT, drawing the sender's two random
 * 16-byte messages per OT from the local PRG (what an OT costs beyond
 * randomness); for AES, node:crypto with a fresh key per block, as each 2PC
 * block has its own key; for comparisons and products, a JavaScript loop.
 */
interface Baselines {
  ot: number;
  aesOne: number;
  aesMany: number;
  compare: number;
  mul: number;
}

function baselines(ots: number, blocks: number, compares: number, muls: number): Baselines {
  const prg = new Prg(new Uint8Array(16), nodeCryptoProvider);
  const otBytes = new Uint8Array(32 * ots);
  const aesIn = Array.from({ length: blocks }, (_, i) => [
    Buffer.alloc(16, i & 255),
    Buffer.alloc(16, (7 * i) & 255),
  ]);
  const aes = (n: number) => () => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const [key, pt] = aesIn[i]!;
      x ^= createCipheriv('aes-128-ecb', key!, null).setAutoPadding(false).update(pt!)[0]!;
    }
    return x;
  };
  return {
    ot: timePlain(() => prg.fill(otBytes)),
    aesOne: timePlain(aes(1), 1000),
    aesMany: timePlain(aes(blocks)),
    compare: plainSeconds('cmp', compares),
    mul: plainSeconds('mul', muls),
  };
}

const times = (secure: number, clear: number) => `${(secure / clear).toFixed(0)}x plaintext`;

function report(label: string, rs: TwoPcResult[], plain: Baselines): void {
  const worst = (f: (r: TwoPcResult) => Timing): Timing => {
    const ts = rs.map(f);
    const t = ts.reduce((a, b) => (a.seconds >= b.seconds ? a : b));
    return { ...t, bytesSent: Math.max(...ts.map((x) => x.bytesSent)) };
  };
  const sent = (f: (r: TwoPcResult) => Timing) => rs.map((r) => mib(f(r).bytesSent)).join(' / ');
  const r0 = rs[0]!;
  console.log(`\n${label}`);
  console.log(
    `  base OTs (128, Masny-Rindal, ristretto255): ${(Math.max(...rs.map((r) => r.ot.setupSeconds)) * 1000).toFixed(0)} ms`,
  );
  for (const [name, f] of [
    ['random OT, KOS check', (r: TwoPcResult) => r.ot.kos],
    ['random OT, IKNP (semi-honest)', (r: TwoPcResult) => r.ot.iknp],
    ['correlated OT (yao inputs)', (r: TwoPcResult) => r.ot.correlated],
  ] as const) {
    const t = worst(f);
    console.log(
      `  ${name.padEnd(32)} ${(r0.ot.n / t.seconds / 1e6).toFixed(1).padStart(6)} M OTs/s   (${r0.ot.n} OTs, MiB sent p1 / p2: ${sent(f)}, ${t.rounds} rounds, ${times(t.seconds, plain.ot)})`,
    );
  }
  const ones = rs.map((r) => median(r.aesOne));
  const oneT = ones.reduce((a, b) => (a.seconds >= b.seconds ? a : b));
  const one = oneT.seconds;
  const many = worst((r) => r.aesMany.run);
  const n = r0.aesMany.n;
  console.log(
    `  AES-128 in 2PC, one block: ${(one * 1000).toFixed(2)} ms (median of ${r0.aesOne.length}; ${mib(rs[GARBLER]!.aesOne[0]!.bytesSent)} MiB from the garbler, ${oneT.rounds} rounds, ${times(one, plain.aesOne)})`,
  );
  console.log(
    `  AES-128 in 2PC, ${n} blocks: ${((many.seconds * 1000) / n).toFixed(3)} ms per block, ${(n / many.seconds).toFixed(0)} blocks/s, ` +
      `${((n * AES_ANDS) / many.seconds / 1e6).toFixed(1)} M AND gates/s end to end (${mib(many.bytesSent)} MiB, ${many.rounds} rounds, ${times(many.seconds, plain.aesMany)})`,
  );
  const c = worst((r) => r.compare.run);
  const m = worst((r) => r.mul.run);
  console.log(
    `  ${r0.compare.n} 32-bit comparisons (input, compare, reveal): ${c.seconds.toFixed(3)} s, ${mib(c.bytesSent)} MiB, ${c.rounds} rounds, ${times(c.seconds, plain.compare)}`,
  );
  console.log(
    `  ${r0.mul.n} 32-bit multiplications (input, multiply, reveal): ${m.seconds.toFixed(3)} s, ${mib(m.bytesSent)} MiB, ${m.rounds} rounds, ${times(m.seconds, plain.mul)}`,
  );
}

function median(xs: Timing[]): Timing {
  return [...xs].sort((a, b) => a.seconds - b.seconds)[xs.length >> 1]!;
}

async function localGarbling(blocks: number): Promise<void> {
  const aes = bristolCircuit('aes_128.txt');
  const delta = new Uint8Array(16);
  nodeCryptoProvider.randomFill(delta);
  delta[0] = delta[0]! | 1;
  const inputs = Array.from({ length: 256 }, () => {
    const b = new Uint8Array(16 * blocks);
    nodeCryptoProvider.randomFill(b);
    return new Uint32Array(b.buffer);
  });
  const g = new Garbler(nodeCryptoProvider, delta);
  const e = new Evaluator(nodeCryptoProvider);
  const gs: number[] = [];
  const es: number[] = [];
  for (let r = 0; r < 4; r++) {
    const tables: Uint32Array[] = [];
    let t = performance.now();
    await g.garble(aes, blocks, inputs, (x) => void tables.push(x));
    gs.push(performance.now() - t);
    let k = 0;
    t = performance.now();
    await e.evaluate(aes, blocks, inputs, () => tables[k++]!);
    es.push(performance.now() - t);
  }
  const med = (xs: number[]) => xs.slice(1).sort((a, b) => a - b)[1]!;
  const rate = (ms: number) => ((blocks * AES_ANDS) / ms / 1e3).toFixed(1);
  console.log(
    `\nlocal work only (AES-128 x ${blocks}, no network): garbling ${rate(med(gs))} M AND/s, evaluation ${rate(med(es))} M AND/s`,
  );
}

export async function run2pc(args: string[]): Promise<void> {
  const env = {
    ENTENTE_BENCH_2PC_OTS: option(args, 'ots') ?? String(1 << 22),
    ENTENTE_BENCH_2PC_BLOCKS: option(args, 'blocks') ?? '1000',
  };
  const which = option(args, 'transport') ?? 'both';
  if (!['tls', 'memory', 'both'].includes(which))
    throw new RangeError(`--transport: expected tls, memory or both, got '${which}'`);
  console.log('two parties (p1 evaluates and is the OT sender, p2 garbles and is the OT receiver)');
  await localGarbling(Number(env.ENTENTE_BENCH_2PC_BLOCKS));
  const plain = baselines(
    Number(env.ENTENTE_BENCH_2PC_OTS),
    Number(env.ENTENTE_BENCH_2PC_BLOCKS),
    Number(process.env.ENTENTE_BENCH_2PC_COMPARE ?? 100_000),
    Number(process.env.ENTENTE_BENCH_2PC_MUL ?? 1_000),
  );
  if (which !== 'memory')
    report('2 processes over TLS 1.3 on 127.0.0.1 (entente run)', await overTls(env), plain);
  if (which !== 'tls') {
    Object.assign(process.env, env);
    const outs = await runLocal(twoPcBench, {
      suite: 'yao',
      parties: 2,
      crypto: nodeCryptoProvider,
      roundTimeoutMs: 600_000,
    });
    report(
      '1 process, in-memory transport (both parties share one thread)',
      outs.map((o) => o.result),
      plain,
    );
  }
}
