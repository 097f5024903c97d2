/**
 * `entente demo scoring`: private credit scoring under lattice HE
 * (src/he/lattice, docs/HE-LATTICE.md). A synthetic 64-feature logistic model
 * and synthetic customers from a fixed seed; each customer generates keys,
 * encrypts its features, the bank scores the ciphertext, the customer
 * decrypts. Prints the encrypted score beside the plaintext one, timings and
 * bytes. node-seal 7.0.0 cannot run on Node 20, so the demo runs in headless
 * Chromium when Node cannot load SEAL (src/adapters/node/seal-browser.ts).
 */
import { openSealPage } from '../adapters/node/seal-browser.js';
import type { ScoringDemoOptions, ScoringDemoReport } from '../he/lattice/demo.js';
import { LatticeError } from '../he/lattice/errors.js';
import { EXIT, UsageError } from './exit.js';

// The demo's default seed: the same model and customers on every run (demo data, not a secret).
const DEFAULT_SEED = '656e74656e74652d73636f72696e6721';
const PRESETS = ['ckks-8192', 'ckks-16384'] as const;

interface DemoArgs {
  seed: number[];
  customers: number;
  preset: (typeof PRESETS)[number];
}

function parseArgs(named: ReadonlyMap<string, string>): DemoArgs {
  const seedHex = named.get('seed') ?? DEFAULT_SEED;
  if (!/^[0-9a-fA-F]{32}$/.test(seedHex))
    throw new UsageError(`demo scoring: --seed must be 32 hex digits (16 bytes), got '${seedHex}'`);
  const seed = Array.from({ length: 16 }, (_, i) => parseInt(seedHex.slice(2 * i, 2 * i + 2), 16));
  const c = named.get('customers') ?? '3';
  const customers = Number(c);
  if (!Number.isInteger(customers) || customers < 1 || customers > 20)
    throw new UsageError(`demo scoring: --customers must be an integer in 1..20, got '${c}'`);
  const preset = named.get('preset') ?? 'ckks-8192';
  if (!(PRESETS as readonly string[]).includes(preset))
    throw new UsageError(
      `demo scoring: --preset must be one of ${PRESETS.join(', ')}, got '${preset}'`,
    );
  return { seed, customers, preset: preset as DemoArgs['preset'] };
}

/** Runs in the page (serialised by page.evaluate), or in this process when Node can load SEAL. */
function runInPage(a: DemoArgs): ScoringDemoReport {
  const g = globalThis as unknown as {
    lattice: typeof import('../he/lattice/index.js');
    seal: import('../he/lattice/seal.js').Seal;
  };
  const options: ScoringDemoOptions = {
    seed: Uint8Array.from(a.seed),
    customers: a.customers,
    preset: a.preset,
  };
  return g.lattice.runScoringDemo(g.seal, options);
}

async function run(a: DemoArgs): Promise<{ report: ScoringDemoReport; where: string }> {
  const lattice = await import('../he/lattice/index.js');
  if (lattice.sealSupported()) {
    const g = globalThis as unknown as Record<string, unknown>;
    g.lattice = lattice;
    g.seal = await lattice.loadSeal();
    return { report: runInPage(a), where: `Node ${process.version}` };
  }
  const page = await openSealPage({ timeoutMs: 300_000 });
  try {
    return {
      report: await page.evaluate(runInPage, a),
      where: `headless Chromium ${page.browserVersion} (Node ${process.version} cannot compile node-seal 7's WebAssembly)`,
    };
  } finally {
    await page.close();
  }
}

const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

export async function scoringDemo(named: ReadonlyMap<string, string>): Promise<number> {
  const args = parseArgs(named);
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run(args);
  } catch (e) {
    if (!(e instanceof LatticeError)) throw e;
    console.error(`entente demo scoring: ${e.message}`);
    return EXIT.failed;
  }
  const { report: r, where } = result;
  const c = r.fit.coeffs;
  console.log(`private scoring under CKKS (node-seal 7.0.0, Microsoft SEAL 4.1) in ${where}`);
  console.log(
    `parameters: n = ${r.polyModulusDegree}, coefficient modulus [${r.coeffModulusBits.join(', ')}] bits ` +
      `(${r.coeffModulusBits.reduce((s, b) => s + b, 0)} in all), scale 2^${r.scaleBits}; 128-bit security (SEAL's check)`,
  );
  console.log(
    `model: ${r.features} weights + bias (synthetic, seed ${named.get('seed') ?? DEFAULT_SEED}); sigmoid replaced by ` +
      `${c[0].toFixed(4)} + ${c[1].toFixed(5)} z ${c[3] < 0 ? '-' : '+'} ${Math.abs(c[3]).toExponential(3)} z^3 ` +
      `(least squares on [-${r.fit.radius}, ${r.fit.radius}], max error ${r.fit.maxError.toFixed(3)})`,
  );
  console.log(`context: ${ms(r.contextMs)} ms per side\n`);
  console.log(
    'customer   w.x+b     logistic   cubic      encrypted   |enc-cubic|   keygen   encrypt  evaluate  decrypt (ms)',
  );
  r.customers.forEach((s, i) => {
    console.log(
      `${String(i + 1).padEnd(10)} ${s.linear.toFixed(4).padStart(8)}  ${s.logistic.toFixed(6)}  ${s.cubic.toFixed(6)}  ` +
        `${s.encrypted.toFixed(6).padStart(9)}   ${Math.abs(s.encrypted - s.cubic)
          .toExponential(1)
          .padStart(9)}   ` +
        `${ms(s.ms.keygen).padStart(6)}  ${ms(s.ms.encrypt).padStart(7)}  ${ms(s.ms.evaluate).padStart(8)}  ${ms(s.ms.decrypt).padStart(7)}`,
    );
  });
  console.log(
    `\nbytes: customer -> bank ${kib(r.bytes.evaluationKeys)} of evaluation keys (once per key set) and ` +
      `${kib(r.bytes.query)} per query; bank -> customer ${kib(r.bytes.answer)}`,
  );
  console.log(
    `plaintext scoring: ${(r.plaintextMs * 1000).toFixed(1)} us per customer (single cold calls; npm run bench -- he-scoring for warm figures)`,
  );
  console.log(
    'the bank held the model and evaluation keys only; each customer alone decrypted its score',
  );
  return EXIT.ok;
}
