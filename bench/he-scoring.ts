/**
 * The private-scoring round trip over CKKS (node-seal 7.0.0): customer keygen
 * (relinearisation and Galois keys included), encrypt a 64-feature vector,
 * bank evaluate (plain multiply, 6 rotations, the sigmoid's cubic), customer
 * decrypt; first call beside warm, bytes each way, the ratio to scoring in the
 * clear; then one CKKS ciphertext multiplication (with relinearisation and
 * rescale) at n = 8192, the anchor (about 1 ms).
 *
 * node-seal 7.0.0 cannot run on Node 20 (no WebAssembly exnref), so the
 * measurements run in headless Chromium (src/adapters/node/seal-browser.ts)
 * unless this Node can load SEAL itself. Called by `npm run bench -- he`.
 */
import { openSealPage } from '../src/adapters/node/seal-browser.js';
import type { LatticeContext } from '../src/he/lattice/params.js';
import type { Seal } from '../src/he/lattice/seal.js';

type Lattice = typeof import('../src/he/lattice/index.js');

interface RoundTrip {
  preset: string;
  contextMs: number;
  keygenMs: number[];
  encryptMs: number[];
  evaluateMs: number[];
  decryptMs: number[];
  plainUs: number;
  maxError: number;
  bytes: { evaluationKeys: number; query: number; answer: number };
}

interface MultiplyTiming {
  multiplyMs: number;
  relinMs: number;
  rescaleMs: number;
  multiplyRelinRescaleMs: number;
  multiplyPlainMs: number;
  rotateMs: number;
  first: number;
}

const ROUNDS = 4;

/** The globals the measuring functions read (set by the page, or below when Node can load SEAL). */
interface Env {
  lattice: Lattice;
  seal: Seal;
}

/**
 * Runs in the page (serialised by page.evaluate: it uses only its argument and
 * the globals): one preset, `rounds` round trips with fresh keys each.
 */
function roundTrips({
  preset,
  rounds,
}: {
  preset: 'ckks-8192' | 'ckks-16384';
  rounds: number;
}): RoundTrip {
  const env = globalThis as unknown as Env;
  const L = env.lattice;
  const now = () => performance.now();
  let t = now();
  const customerCtx = L.createContext(env.seal, preset);
  const contextMs = now() - t;
  const bankCtx = L.createContext(env.seal, preset);
  // A fixed synthetic model; features vary per round (values are not secret here).
  const weights = Array.from({ length: 64 }, (_, i) => Math.sin(i + 1) * 0.2);
  const model = { weights, bias: 0.25 };
  const out: RoundTrip = {
    preset,
    contextMs,
    keygenMs: [],
    encryptMs: [],
    evaluateMs: [],
    decryptMs: [],
    plainUs: 0,
    maxError: 0,
    bytes: { evaluationKeys: 0, query: 0, answer: 0 },
  };
  for (let r = 0; r < rounds; r++) {
    const x = Array.from({ length: 64 }, (_, i) => Math.cos(i * (r + 1)) * 0.5);
    t = now();
    const customer = L.ScoringCustomer.create(customerCtx, 64);
    const keys = customer.evaluationKeys();
    out.keygenMs.push(now() - t);
    t = now();
    const query = customer.encryptFeatures(x);
    out.encryptMs.push(now() - t);
    const bank = new L.ScoringBank(bankCtx, model, keys);
    t = now();
    const answer = bank.score(query);
    out.evaluateMs.push(now() - t);
    t = now();
    const got = customer.decryptScore(answer);
    out.decryptMs.push(now() - t);
    let sink = 0;
    t = now();
    for (let k = 0; k < 10_000; k++) {
      let z = model.bias;
      for (let i = 0; i < 64; i++) z += weights[i]! * x[i]!;
      sink += L.logistic(z);
    }
    out.plainUs = ((now() - t) / 10_000) * 1000;
    if (Number.isNaN(sink)) throw new Error('unreachable');
    let lin = model.bias;
    for (let i = 0; i < 64; i++) lin += weights[i]! * x[i]!;
    out.maxError = Math.max(out.maxError, Math.abs(got - L.evalCubic(L.SIGMOID_FIT_8.coeffs, lin)));
    out.bytes = {
      evaluationKeys: keys.relinKeys.length + keys.galoisKeys.length,
      query: query.length,
      answer: answer.length,
    };
    bank.dispose();
    customer.dispose();
  }
  customerCtx.context.delete();
  bankCtx.context.delete();
  return out;
}

/** Runs in the page: ciphertext x ciphertext at n = 8192, the first call and the median of warm calls. */
function multiplyTiming(reps: number): MultiplyTiming {
  const env = globalThis as unknown as Env;
  const L = env.lattice;
  const now = () => performance.now();
  const ctx: LatticeContext = L.createContext(env.seal, 'ckks-8192');
  const client = L.LatticeClient.create(ctx);
  const server = L.LatticeEvaluator.fromKeys(ctx, client.evaluationKeys([1]));
  const a = server.load(client.encrypt([1.5, 2.5, -3]));
  const b = server.load(client.encrypt([0.5, -1, 2]));
  const median = (f: () => void) => {
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = now();
      f();
      ts.push(now() - t);
    }
    ts.sort((p, q) => p - q);
    return ts[Math.floor(ts.length / 2)]!;
  };
  const seal = env.seal;
  const raw = new seal.Evaluator(ctx.context);
  const out = new seal.Ciphertext();
  const t = now();
  raw.multiply(a.ct, b.ct, out);
  const first = now() - t;
  const multiplyMs = median(() => raw.multiply(a.ct, b.ct, out));
  const keygen = new seal.KeyGenerator(ctx.context);
  const rk = keygen.createRelinKeys();
  const relined = new seal.Ciphertext();
  const relinMs = median(() => raw.relinearize(out, rk, relined));
  const rescaled = new seal.Ciphertext();
  const rescaleMs = median(() => raw.rescaleToNext(relined, rescaled));
  rescaled.delete();
  rk.delete();
  keygen.delete();
  relined.delete();
  const multiplyRelinRescaleMs = median(() => server.multiply(a, b).dispose());
  const multiplyPlainMs = median(() => server.multiplyPlain(a, [2, 2, 2]).dispose());
  const rotateMs = median(() => server.sumSlots(a, 2).dispose());
  out.delete();
  raw.delete();
  a.dispose();
  b.dispose();
  server.dispose();
  client.dispose();
  ctx.context.delete();
  return {
    multiplyMs,
    relinMs,
    rescaleMs,
    multiplyRelinRescaleMs,
    multiplyPlainMs,
    rotateMs,
    first,
  };
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const warm = (xs: number[]) => {
  const w = xs.slice(1).sort((p, q) => p - q);
  return w[Math.floor(w.length / 2)] ?? xs[0]!;
};

function report(r: RoundTrip): void {
  const total = (i: number) =>
    r.keygenMs[i]! + r.encryptMs[i]! + r.evaluateMs[i]! + r.decryptMs[i]!;
  const warmTotal = warm(r.keygenMs) + warm(r.encryptMs) + warm(r.evaluateMs) + warm(r.decryptMs);
  console.log(`\n${r.preset}: context ${fmt(r.contextMs)} ms (each side builds one)`);
  console.log('  step              first (ms)   warm median (ms)');
  for (const [name, xs] of [
    ['customer keygen', r.keygenMs],
    ['customer encrypt', r.encryptMs],
    ['bank evaluate', r.evaluateMs],
    ['customer decrypt', r.decryptMs],
  ] as const)
    console.log(`  ${name.padEnd(18)}${fmt(xs[0]!).padStart(10)}   ${fmt(warm(xs)).padStart(16)}`);
  console.log(
    `  ${'round trip'.padEnd(18)}${fmt(total(0)).padStart(10)}   ${fmt(warmTotal).padStart(16)}`,
  );
  const perQuery = warm(r.encryptMs) + warm(r.evaluateMs) + warm(r.decryptMs);
  console.log(
    `  bytes: customer -> bank ${kb(r.bytes.evaluationKeys)} of evaluation keys once, ${kb(r.bytes.query)} per query; ` +
      `bank -> customer ${kb(r.bytes.answer)}`,
  );
  console.log(
    `  plaintext score ${r.plainUs.toFixed(2)} us; ratio (query, keys reused) ${(perQuery / (r.plainUs / 1000)).toExponential(2)}x; ` +
      `max |decrypted - cubic| ${r.maxError.toExponential(1)}`,
  );
}

/** Where the measuring functions run: this Node if it can load SEAL, else a Chromium page. */
interface Runner {
  run<A, R>(fn: (arg: A) => R, arg: A): Promise<R>;
  where: string;
  close(): Promise<void>;
}

async function runner(): Promise<Runner> {
  const { loadSeal, sealSupported } = await import('../src/he/lattice/index.js');
  if (sealSupported()) {
    const g = globalThis as unknown as Env;
    g.lattice = await import('../src/he/lattice/index.js');
    g.seal = await loadSeal();
    return {
      run: async (fn, arg) => fn(arg),
      where: `Node ${process.version}`,
      close: async () => {},
    };
  }
  const page = await openSealPage({ timeoutMs: 300_000 });
  return {
    run: (fn, arg) => page.evaluate(fn, arg),
    where: `Chromium ${page.browserVersion} (Node ${process.version} cannot compile node-seal 7's WebAssembly)`,
    close: () => page.close(),
  };
}

export async function runScoringBench(): Promise<void> {
  const r = await runner();
  try {
    console.log(`he-scoring: node-seal 7.0.0 in ${r.where}`);
    console.log(
      `64 features, degree-3 sigmoid on [-8, 8]; ${ROUNDS} round trips per preset, fresh keys each`,
    );
    for (const preset of ['ckks-8192', 'ckks-16384'] as const)
      report(await r.run(roundTrips, { preset, rounds: ROUNDS }));
    const m = await r.run(multiplyTiming, 25);
    console.log('\nCKKS n = 8192 (4 primes before the special one), median of 25');
    console.log(
      `  ciphertext multiply          ${fmt(m.multiplyMs)} ms (first call ${fmt(m.first)} ms)`,
    );
    console.log(`  relinearise                  ${fmt(m.relinMs)} ms`);
    console.log(`  rescale                      ${fmt(m.rescaleMs)} ms`);
    console.log(`  multiply + relin + rescale   ${fmt(m.multiplyRelinRescaleMs)} ms`);
    console.log(`  plaintext multiply + rescale ${fmt(m.multiplyPlainMs)} ms`);
    console.log(`  rotate + add (1 step)        ${fmt(m.rotateMs)} ms`);
  } finally {
    await r.close();
  }
}
