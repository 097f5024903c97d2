/**
 * Homomorphic encryption's benchmark (issue 16):
 *
 *   npm run bench -- he [--bits 2048,3072] [--only elgamal,paillier,threshold,scoring] [--keygen]
 *
 * Prints, each section a function of its own:
 * 1. ElGamal over ristretto255 (src/he/elgamal): encryptions, decryptions and
 *    additions per second;
 * 2. Paillier (src/he/paillier) at each --bits: encryptions (DJN with the
 *    default 2-lambda-bit exponent, with DJN's own k/2-bit exponent, and
 *    textbook r^n), decryptions (CRT), additions and scalar multiplications
 *    per second, the first call beside the warm mean, side by side with
 *    paillier-bigint 3.4.3 at the same size in the same run, and the ratio;
 * 3. threshold Paillier (2 of 3): a decryption share with its proof, its
 *    verification and the combination, at 2048 bits (safe primes generated
 *    here, timed) and 3072 bits (the pre-generated safe primes of
 *    test/fixtures/paillier-safe-primes-3072.json; --keygen generates them
 *    here instead and times it);
 * 4. private scoring with node-seal (bench/he-scoring.ts; `--only scoring`).
 * Encryption is one party's local work: no bytes are sent and no rounds run
 * except in threshold decryption (one message per holder).
 */
import { readFileSync } from 'node:fs';
import * as paillierBigint from 'paillier-bigint';
import { nodeCryptoProvider as crypto } from '../src/adapters/node/crypto.js';
import { discreteLog32 } from '../src/he/elgamal/dlog.js';
import {
  add,
  decryptToPoint,
  encrypt,
  PublicKey as ElGamalKey,
} from '../src/he/elgamal/elgamal.js';
import { mulG, randomScalar } from '../src/he/elgamal/group.js';
import { randomBelow } from '../src/he/paillier/bigint.js';
import { generateKeyPair, PublicKey } from '../src/he/paillier/paillier.js';
import { randomSafePrime } from '../src/he/paillier/primes.js';
import { dealThresholdKey, shareToJson } from '../src/he/paillier/threshold.js';
import { runScoringBench } from './he-scoring.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 3 : 1);
const rate = (s: number) => Math.round(1 / s).toLocaleString('en-US');

/** Seconds per call: the mean over `reps` calls after `warm` untimed ones. */
function timeIt(run: (i: number) => unknown, reps: number, warm = Math.min(reps, 5)): number {
  for (let i = 0; i < warm; i++) run(i);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run(i);
  return (performance.now() - t0) / 1000 / reps;
}

/** Seconds of one call. */
function once<T>(run: () => T): [T, number] {
  const t0 = performance.now();
  const out = run();
  return [out, (performance.now() - t0) / 1000];
}

function benchElGamal(): void {
  const s = randomScalar(crypto);
  const key = new ElGamalKey(mulG(s));
  const n = 200;
  const enc = timeIt(() => encrypt(key, 1, crypto), n, 20);
  const cts = Array.from({ length: n }, (_, i) => encrypt(key, i % 1000, crypto).ct);
  const dec = timeIt((i) => decryptToPoint(cts[i % n]!, s), n, 20);
  const [table, tableS] = once(() => discreteLog32());
  const decoded = timeIt((i) => table.solve(decryptToPoint(cts[i % n]!, s)), n, 20);
  let acc = cts[0]!;
  const addS = timeIt((i) => (acc = add(acc, cts[i % n]!)), 10_000, 1_000);
  console.log('ElGamal over ristretto255 (exponential; 64-byte ciphertexts):');
  console.log(`  encryptions   ${rate(enc)}/s (${ms(enc)} ms)`);
  console.log(
    `  decryptions   ${rate(dec)}/s to m·G; ${rate(decoded)}/s to m < 1000 by the 2^32 table (built once in ${tableS.toFixed(1)} s)`,
  );
  console.log(`  additions     ${rate(addS)}/s`);
}

async function benchPaillier(bits: number): Promise<void> {
  console.log(
    `Paillier, ${bits}-bit modulus (ciphertexts of ${(2 * bits) / 8} bytes + a 16-byte key id):`,
  );
  const [{ publicKey: pk, secretKey: sk }, keyS] = once(() => generateKeyPair(crypto, { bits }));
  // The first encryption of a fresh key runs without the table (built at the 32nd).
  const [, firstS] = once(() => pk.encrypt(1n, crypto));
  const [, tableS] = once(() => pk.precompute());
  const reps = bits >= 3072 ? 100 : 200;
  const m = () => randomBelow(pk.n, crypto);
  const enc = timeIt(() => pk.encrypt(m(), crypto), reps);
  const long = new PublicKey(pk.n, pk.hs, bits / 2);
  const [, longTableS] = once(() => long.precompute());
  const encLong = timeIt(() => long.encrypt(m(), crypto), reps / 4);
  const encTextbook = timeIt(() => pk.encryptWithR(m(), randomBelow(pk.n - 1n, crypto) + 1n), 5, 1);
  const cts = Array.from({ length: 20 }, () => pk.encrypt(m(), crypto));
  const [, firstDecS] = once(() => sk.decrypt(cts[0]!));
  const dec = timeIt((i) => sk.decrypt(cts[i % 20]!), 20, 2);
  let acc = cts[0]!;
  const addS = timeIt((i) => (acc = pk.add(acc, cts[i % 20]!)), 2000, 200);
  const k = m();
  const mulS = timeIt((i) => pk.mulScalar(cts[i % 20]!, k), 10, 2);

  const [{ publicKey: pb, privateKey: pbs }, pbKeyS] = await (async () => {
    const t0 = performance.now();
    const keys = await paillierBigint.generateRandomKeys(bits);
    return [keys, (performance.now() - t0) / 1000] as const;
  })();
  const [, pbFirstS] = once(() => pb.encrypt(1n));
  const pbEnc = timeIt(() => pb.encrypt(randomBelow(pb.n, crypto)), 10, 1);
  const pbCts = Array.from({ length: 5 }, () => pb.encrypt(randomBelow(pb.n, crypto)));
  const pbDec = timeIt((i) => pbs.decrypt(pbCts[i % 5]!), 5, 1);
  let pbAcc = pbCts[0]!;
  const pbAdd = timeIt((i) => (pbAcc = pb.addition(pbAcc, pbCts[i % 5]!)), 2000, 200);
  const pbMul = timeIt((i) => pb.multiply(pbCts[i % 5]!, k % pb.n), 10, 2);

  const row = (what: string, ours: number, theirs: number | undefined, note = '') =>
    console.log(
      `  ${what.padEnd(34)} ${rate(ours).padStart(8)}/s (${ms(ours).padStart(7)} ms)` +
        (theirs === undefined
          ? ''
          : `   paillier-bigint ${rate(theirs).padStart(6)}/s (${ms(theirs).padStart(7)} ms)   ${(theirs / ours).toFixed(1)}x`) +
        note,
    );
  console.log(
    `  key generation: ${keyS.toFixed(1)} s (paillier-bigint ${pbKeyS.toFixed(1)} s); table of h_s: ${tableS.toFixed(2)} s (${pk.exponentBits}-bit exponent), ${longTableS.toFixed(2)} s (${bits / 2}-bit)`,
  );
  console.log(
    `  first encryption ${ms(firstS)} ms, before any table (paillier-bigint first: ${ms(pbFirstS)} ms); first decryption ${ms(firstDecS)} ms`,
  );
  row(`encrypt (DJN, ${pk.exponentBits}-bit exponent)`, enc, pbEnc);
  row(`encrypt (DJN, ${bits / 2}-bit exponent)`, encLong, pbEnc);
  row('encrypt (textbook r^n, no table)', encTextbook, pbEnc);
  row('decrypt (CRT)', dec, pbDec);
  row('add', addS, pbAdd);
  row('multiply by a scalar < n', mulS, pbMul);
}

function fixturePrimes(): { p: bigint; q: bigint } {
  const f = JSON.parse(
    readFileSync(
      new URL('../test/fixtures/paillier-safe-primes-3072.json', import.meta.url),
      'utf8',
    ),
  ) as { p: string; q: string };
  return { p: BigInt('0x' + f.p), q: BigInt('0x' + f.q) };
}

function benchThreshold(bits: number, generate: boolean): void {
  let safePrimes: { p: bigint; q: bigint };
  let how: string;
  if (bits === 3072 && !generate) {
    safePrimes = fixturePrimes();
    how = 'safe primes from the test fixture';
  } else {
    const [p, pS] = once(() => randomSafePrime(bits / 2, crypto).p);
    const [q, qS] = once(() => randomSafePrime(bits / 2, crypto).p);
    safePrimes = { p, q };
    how = `two ${bits / 2}-bit safe primes generated in ${pS.toFixed(1)} s and ${qS.toFixed(1)} s`;
  }
  const [{ key, shares }, dealS] = once(() =>
    dealThresholdKey(crypto, { parties: 3, threshold: 2, safePrimes }),
  );
  const pk = key.publicKey;
  const m = randomBelow(pk.n, crypto);
  const c = pk.encrypt(m, crypto);
  const [first, firstS] = once(() => shares[0]!.decryptShare(c, crypto));
  const reps = bits >= 3072 ? 3 : 5;
  const shareS = timeIt(() => shares[1]!.decryptShare(c, crypto), reps, 1);
  const second = shares[1]!.decryptShare(c, crypto);
  const verifyS = timeIt(() => key.verifyShare(c, first), reps, 1);
  const combineS = timeIt(() => key.combine(c, [first, second], { verify: false }), reps, 1);
  if (key.combine(c, [first, second]) !== m)
    throw new Error('bench: threshold decryption is wrong');
  const bytes = JSON.stringify(shareToJson(first)).length;
  console.log(
    `Threshold Paillier, ${bits} bits, 2 of 3 holders (${how}; dealing ${dealS.toFixed(1)} s):`,
  );
  console.log(
    `  decryption share + proof   ${ms(shareS)} ms (first ${ms(firstS)} ms); ${bytes} bytes of JSON, one message per holder`,
  );
  console.log(`  verify one share           ${ms(verifyS)} ms`);
  console.log(`  combine 2 shares           ${ms(combineS)} ms (proofs already checked)`);
  console.log(
    `  total for a 2-of-3 decryption, shares in parallel: ${ms(shareS + 2 * verifyS + combineS)} ms`,
  );
}

/** Private scoring with node-seal (bench/he-scoring.ts), in headless Chromium. */
async function benchScoring(): Promise<void> {
  await runScoringBench();
}

export async function runHeBench(args: string[]): Promise<void> {
  const only = new Set((option(args, 'only') ?? 'elgamal,paillier,threshold,scoring').split(','));
  const sizes = (option(args, 'bits') ?? '2048,3072').split(',').map(Number);
  for (const b of sizes)
    if (!Number.isInteger(b) || b < 512 || b % 2 !== 0)
      throw new RangeError(`bench he: --bits must list even sizes >= 512, got ${b}`);
  if (only.has('elgamal')) benchElGamal();
  if (only.has('paillier')) for (const b of sizes) await benchPaillier(b);
  if (only.has('threshold')) for (const b of sizes) benchThreshold(b, args.includes('--keygen'));
  if (only.has('scoring')) await benchScoring();
}
