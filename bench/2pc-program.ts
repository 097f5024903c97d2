/**
 * The program of `npm run bench -- 2pc`, run by each of the two parties
 * (over TLS through `entente run`, or in memory through runLocal). The suite
 * must be yao; the program reaches below the API to the OT extension and to
 * `runCircuit` for AES-128, which the integer API cannot express.
 */
import type { Session } from '../src/api/session.js';
import { bristolCircuit } from '../test/circuits.js';
import { OtExtension } from '../src/primitives/ot/extension.js';
import { EVALUATOR, GARBLER, type YaoSuite } from '../src/suites/yao/yao.js';
import { int } from '../src/api/types.js';

export interface Timing {
  seconds: number;
  bytesSent: number;
  bytesReceived: number;
  rounds: number;
}

export interface TwoPcResult {
  party: number;
  ot: { setupSeconds: number; n: number; kos: Timing; iknp: Timing; correlated: Timing };
  aesOne: Timing[];
  aesMany: { n: number; run: Timing };
  compare: { n: number; run: Timing };
  mul: { n: number; run: Timing };
}

async function timed(s: Session, f: () => Promise<unknown>): Promise<Timing> {
  const before = s.stats();
  const t = performance.now();
  await f();
  const seconds = (performance.now() - t) / 1000;
  const after = s.stats();
  return {
    seconds,
    bytesSent: after.bytesSent - before.bytesSent,
    bytesReceived: after.bytesReceived - before.bytesReceived,
    rounds: after.rounds - before.rounds,
  };
}

/** Median by seconds. */
function median(xs: Timing[]): Timing {
  return [...xs].sort((a, b) => a.seconds - b.seconds)[xs.length >> 1]!;
}

function env(name: string, dflt: string): string {
  const e =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  return e[name] ?? dflt;
}

export default async function twoPcBench(s: Session): Promise<TwoPcResult> {
  const yao = s.suite as YaoSuite;
  if (yao.name !== 'yao') throw new Error('bench 2pc: run with --suite yao');
  const party = s.party;
  const me = party.index;
  const otN = Number(env('ENTENTE_BENCH_2PC_OTS', String(1 << 22)));
  const blocks = Number(env('ENTENTE_BENCH_2PC_BLOCKS', '1000'));

  // ---- OT extension: setup (128 base OTs), then random OTs in batches of 2^20.
  // The sender is p1: it receives the extension matrix (16 bytes per OT), and
  // p1 dials, the side where receiving over TLS costs least (yao's own input
  // OTs run the other way round, garbler p2 to evaluator p1, and are small).
  const [SENDER, RECEIVER] = [0, 1];
  let ot!: OtExtension;
  const setup = await timed(s, async () => {
    ot = await OtExtension.create(party, SENDER, RECEIVER);
  });
  const plain = await OtExtension.create(party, SENDER, RECEIVER, { check: false });
  // Warm-up with full-size calls: on these VMs a process's first seconds of
  // work on fresh memory after the machine idled run up to 2.5x slower
  // (docs/PERFORMANCE.md), and the figures below are the steady state.
  for (let r = 0; r < 3; r++) await ot.random(otN);
  for (let r = 0; r < 2; r++) await plain.random(otN);
  const rep = async (f: () => Promise<unknown>) => {
    const runs: Timing[] = [];
    for (let r = 0; r < 3; r++) runs.push(await timed(s, f));
    return median(runs);
  };
  const kos = await rep(() => ot.random(otN));
  const iknp = await rep(() => plain.random(otN));
  const correlated = await rep(() => plain.correlatedRaw(otN));

  // ---- AES-128: the garbler's key, the evaluator's block, output to the evaluator.
  const aes = bristolCircuit('aes_128.txt');
  const bits = (n: number) => {
    const b = party.prg.bytes(128 * n);
    for (let i = 0; i < b.length; i++) b[i] = b[i]! & 1;
    return b;
  };
  const aesRun = (n: number) =>
    yao.runCircuit(
      aes,
      n,
      [GARBLER, EVALUATOR],
      [me === GARBLER ? bits(n) : undefined, me === EVALUATOR ? bits(n) : undefined],
      [EVALUATOR],
    );
  for (let r = 0; r < 5; r++) await aesRun(1); // warm-up
  const aesOne: Timing[] = [];
  for (let r = 0; r < 15; r++) aesOne.push(await timed(s, () => aesRun(1)));
  await aesRun(blocks); // warm-up
  const aesMany = { n: blocks, run: await rep(() => aesRun(blocks)) };

  // ---- The integer API: 32-bit comparisons and multiplications.
  const cmpN = Number(env('ENTENTE_BENCH_2PC_COMPARE', '100000'));
  const mulN = Number(env('ENTENTE_BENCH_2PC_MUL', '1000'));
  const vals = (n: number) =>
    Array.from({ length: n }, (_, i) => ((i * 2654435761) % 2 ** 31) - 2 ** 30);
  const x = s.input('p1', int(32), s.me === 'p1' ? vals(cmpN) : cmpN);
  const y = s.input('p2', int(32), s.me === 'p2' ? vals(cmpN).reverse() : cmpN);
  await x.lt(y).reveal();
  const compare = {
    n: cmpN,
    run: await rep(async () => {
      const a = s.input('p1', int(32), s.me === 'p1' ? vals(cmpN) : cmpN);
      const b = s.input('p2', int(32), s.me === 'p2' ? vals(cmpN).reverse() : cmpN);
      return a.lt(b).reveal();
    }),
  };
  const mul = {
    n: mulN,
    run: await rep(async () => {
      const a = s.input('p1', int(32), s.me === 'p1' ? vals(mulN) : mulN);
      const b = s.input('p2', int(32), s.me === 'p2' ? vals(mulN).reverse() : mulN);
      return a.mul(b).reveal();
    }),
  };
  const ots = { setupSeconds: setup.seconds, n: otN, kos, iknp, correlated };
  return { party: me, ot: ots, aesOne, aesMany, compare, mul };
}
