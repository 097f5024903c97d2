/**
 * Private scoring over CKKS and exact integer scoring over BFV, run for real
 * in Chromium (customer and bank each with their own SEAL context, talking
 * only through serialised bytes), checked against the same computation in the
 * clear: random models and features, edges, the bank's lack of a secret key,
 * and rejection of tampered, truncated, foreign and garbage bytes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SealPage } from '../../src/adapters/node/seal-browser.js';
import { evalCubic, logistic, SIGMOID_FIT_8 } from '../../src/he/lattice/sigmoid.js';
import { openPage, RUN_BROWSER, type PageGlobals } from './seal-page.js';

// CKKS at scale 2^40 with three rescales: the decrypted score is within 1e-4
// of the cubic evaluated in the clear (observed about 1e-6). Against the true
// logistic the cubic's own error on [-8, 8] adds on top.
const CKKS_BOUND = 1e-4;
const FEATURES = 64;

/** Uniform doubles in [lo, hi) from the OS CSPRNG. */
function uniforms(n: number, lo: number, hi: number): number[] {
  return Array.from(
    new Uint32Array(randomBytes(4 * n).buffer),
    (w) => lo + ((hi - lo) * w) / 2 ** 32,
  );
}
function randomInts(n: number, bound: number): number[] {
  return Array.from(
    new Uint32Array(randomBytes(4 * n).buffer),
    (w) => (w % (2 * bound + 1)) - bound,
  );
}
function plainLinear(w: readonly number[], b: number, x: readonly number[]): number {
  return w.reduce((s, wi, i) => s + wi * x[i]!, b);
}

describe.runIf(RUN_BROWSER)('lattice HE in Chromium (node-seal 7.0.0)', () => {
  let page: SealPage;

  beforeAll(async () => {
    page = await openPage();
    // One context per side and one customer key set for the file (keygen with
    // Galois keys takes about a second); tests that need fresh keys make them.
    await page.evaluate(() => {
      const { lattice: L, seal, st } = globalThis as unknown as PageGlobals;
      st.customerCtx = L.createContext(seal, 'ckks-8192');
      st.bankCtx = L.createContext(seal, 'ckks-8192');
      st.customer = L.ScoringCustomer.create(st.customerCtx, 64);
      st.keys = st.customer.evaluationKeys();
      st.bfvClientCtx = L.createContext(seal, 'bfv-8192');
      st.bfvServerCtx = L.createContext(seal, 'bfv-8192');
      st.bfvClient = L.LatticeClient.create(st.bfvClientCtx);
      st.bfvKeys = st.bfvClient.evaluationKeys(L.sumSteps(64));
      st.bfvServer = L.LatticeEvaluator.fromKeys(st.bfvServerCtx, st.bfvKeys);
    }, undefined);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
  });

  /** Scores `x` with a bank holding `model` (built from the customer's key bytes); returns every slot the customer decrypts. */
  const score = (model: { weights: number[]; bias: number }, x: number[]) =>
    page.evaluate(
      ({ model, x }) => {
        const { lattice: L, st } = globalThis as unknown as PageGlobals;
        const bank = new L.ScoringBank(st.bankCtx, model, st.keys);
        try {
          const answer = bank.score(st.customer.encryptFeatures(x));
          return Array.from(st.customer.decryptAllSlots(answer, 128) as Float64Array);
        } finally {
          bank.dispose();
        }
      },
      { model, x },
    );

  it('states 128-bit parameters that SEAL itself confirms', async () => {
    const r = await page.evaluate(() => {
      const { lattice: L, seal, st, caught } = globalThis as unknown as PageGlobals;
      const levels = (['ckks-8192', 'ckks-16384', 'bfv-8192'] as const).map((p) => {
        const ctx =
          p === 'ckks-8192'
            ? st.customerCtx
            : p === 'bfv-8192'
              ? st.bfvClientCtx
              : L.createContext(seal, p);
        if (p === 'ckks-16384') st.bigCtx = ctx;
        return ctx.context.keyContextData().qualifiers().securityLevel.value as number;
      });
      return {
        levels,
        tooBig: caught(() =>
          L.createContext(seal, {
            scheme: 'ckks',
            polyModulusDegree: 8192,
            coeffModulusBits: [60, 60, 60, 40],
            scaleBits: 40,
          }),
        ),
        badDegree: caught(() =>
          L.createContext(seal, {
            scheme: 'ckks',
            polyModulusDegree: 5000,
            coeffModulusBits: [40, 40],
            scaleBits: 40,
          }),
        ),
        unknown: caught(() => L.createContext(seal, 'ckks-4' as never)),
      };
    }, undefined);
    expect(r.levels).toEqual([128, 128, 128]);
    expect(r.tooBig).toMatchObject({ name: 'LatticeParameterError', lattice: true });
    expect(r.tooBig!.message).toMatch(/220 bits .* 218/);
    expect(r.badDegree).toMatchObject({ name: 'LatticeParameterError' });
    expect(r.unknown!.message).toMatch(/unknown preset 'ckks-4'/);
  });

  it('scores random models and customers within the stated bound of the plaintext', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const model = { weights: uniforms(FEATURES, -0.25, 0.25), bias: uniforms(1, -1, 1)[0]! };
      const x = uniforms(FEATURES, -1, 1);
      const z = plainLinear(model.weights, model.bias, x);
      expect(Math.abs(z)).toBeLessThan(8); // |z| <= 1 + 64 * 0.25 could exceed 8, but not at these sizes in practice
      const slots = await score(model, x);
      expect(Math.abs(slots[0]! - evalCubic(SIGMOID_FIT_8.coeffs, z))).toBeLessThan(CKKS_BOUND);
      expect(Math.abs(slots[0]! - logistic(z))).toBeLessThan(SIGMOID_FIT_8.maxError + CKKS_BOUND);
      // Only slot 0 carries anything: the partial sums (which would reveal weights) are masked.
      for (const v of slots.slice(1)) expect(Math.abs(v)).toBeLessThan(CKKS_BOUND);
    }
  });

  it('scores all-zero features as p(bias), and large weights at both ends of [-8, 8]', async () => {
    const zero = new Array<number>(FEATURES).fill(0);
    const cases: { weights: number[]; bias: number; x: number[] }[] = [
      { weights: uniforms(FEATURES, -0.3, 0.3), bias: 0.75, x: zero },
      { weights: uniforms(FEATURES, -0.3, 0.3), bias: 0, x: zero },
      // z = 100 * 0.08 = 8 and -8: large weights, the interval's edges.
      {
        weights: [100, ...new Array<number>(FEATURES - 1).fill(0)],
        bias: 0,
        x: [0.08, ...zero.slice(1)],
      },
      {
        weights: new Array<number>(FEATURES).fill(-100),
        bias: 0,
        x: new Array<number>(FEATURES).fill(0.00125),
      },
      // length 1 of signal: a single non-zero feature in the last slot.
      { weights: new Array<number>(FEATURES).fill(3), bias: -1, x: [...zero.slice(1), 1] },
    ];
    for (const c of cases) {
      const z = plainLinear(c.weights, c.bias, c.x);
      const [got] = await score(c, c.x);
      expect(Math.abs(got! - evalCubic(SIGMOID_FIT_8.coeffs, z))).toBeLessThan(CKKS_BOUND);
      expect(Math.abs(got! - logistic(z))).toBeLessThan(SIGMOID_FIT_8.maxError + CKKS_BOUND);
    }
    // At the edges the cubic is at its worst, and the error is what the fit states.
    expect(Math.abs(evalCubic(SIGMOID_FIT_8.coeffs, 8) - logistic(8))).toBeCloseTo(
      SIGMOID_FIT_8.maxError,
      6,
    );
  });

  it('refuses a length mismatch with a clear error, on either side', async () => {
    const r = await page.evaluate(() => {
      const { lattice: L, st, caught } = globalThis as unknown as PageGlobals;
      const bank32 = new L.ScoringBank(
        st.bankCtx,
        { weights: new Array(32).fill(0.1), bias: 0 },
        st.keys,
      );
      const query = st.customer.encryptFeatures(new Array(64).fill(0.5));
      const out = {
        short: caught(() => st.customer.encryptFeatures(new Array(63).fill(0))),
        nan: caught(() => st.customer.encryptFeatures([...new Array(63).fill(0), Number.NaN])),
        bankLength: caught(() => bank32.score(query)),
        emptyModel: caught(() => new L.ScoringBank(st.bankCtx, { weights: [], bias: 0 }, st.keys)),
        infiniteWeight: caught(
          () =>
            new L.ScoringBank(
              st.bankCtx,
              { weights: [1, Number.POSITIVE_INFINITY], bias: 0 },
              st.keys,
            ),
        ),
        bfvCustomer: caught(() => L.ScoringCustomer.create(st.bfvClientCtx, 64)),
      };
      bank32.dispose();
      return out;
    }, undefined);
    expect(r.short).toMatchObject({
      name: 'RangeError',
      message: 'encryptFeatures: expected 64 features, got 63',
    });
    expect(r.nan!.message).toMatch(/value 63 is not a finite number/);
    expect(r.bankLength).toMatchObject({ name: 'LatticeMismatchError' });
    expect(r.bankLength!.message).toMatch(/holds 64 values, expected 32/);
    expect(r.emptyModel!.message).toMatch(/0 weights/);
    expect(r.infiniteWeight!.message).toMatch(/weight 1 is not finite/);
    expect(r.bfvCustomer).toMatchObject({ name: 'LatticeMismatchError' });
  });

  it('gives the bank evaluation keys only: no secret key reachable from it, and it cannot decrypt', async () => {
    const r = await page.evaluate(() => {
      const { lattice: L, seal, st, caught } = globalThis as unknown as PageGlobals;
      const bank = new L.ScoringBank(
        st.bankCtx,
        { weights: new Array(64).fill(0.1), bias: 0 },
        st.keys,
      );
      // Everything reachable from the bank's own properties (private fields
      // are out of reach, so the test also checks what the bank was given).
      const seen = new Set<unknown>();
      const found: string[] = [];
      const walk = (v: unknown, path: string, depth: number): void => {
        if (v === null || typeof v !== 'object' || seen.has(v) || depth > 6) return;
        seen.add(v);
        if (v instanceof seal.SecretKey) found.push(path);
        if (v instanceof seal.Decryptor || v instanceof seal.KeyGenerator) found.push(path);
        for (const k of Object.keys(v))
          walk((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
      };
      walk(bank, 'bank', 0);
      const keyKinds = [st.keys.relinKeys, st.keys.galoisKeys].map((b: Uint8Array) => b[5]);
      const answer = bank.score(st.customer.encryptFeatures(new Array(64).fill(0.5)));
      // Another party with its own keys cannot read the answer: it is refused as another key set's.
      const other = L.LatticeClient.create(st.customerCtx);
      const out = {
        found,
        keyKinds,
        bankMethods: Object.getOwnPropertyNames(Object.getPrototypeOf(bank.evaluator)),
        otherDecrypt: caught(() => other.decrypt(answer)),
        keyObjectKeys: Object.keys(st.keys).sort(),
      };
      other.dispose();
      bank.dispose();
      return out;
    }, undefined);
    expect(r.found).toEqual([]);
    expect(r.keyKinds).toEqual([2, 3]); // relinearisation and Galois keys, nothing else
    expect(r.keyObjectKeys).toEqual(['galoisKeys', 'keyId', 'relinKeys']);
    expect(r.bankMethods).not.toContain('decrypt');
    expect(r.otherDecrypt).toMatchObject({ name: 'LatticeMismatchError' });
    expect(r.otherDecrypt!.message).toMatch(/another customer's keys/);
  });

  it('rejects tampered, truncated, garbage, foreign and mislabelled bytes with typed errors', async () => {
    const garbage = Array.from(randomBytes(4096));
    const r = await page.evaluate(
      ({ garbage }) => {
        const {
          lattice: L,
          latticeWire: W,
          seal,
          st,
          caught,
        } = globalThis as unknown as PageGlobals;
        const bank = new L.ScoringBank(
          st.bankCtx,
          { weights: new Array(64).fill(0.1), bias: 0 },
          st.keys,
        );
        const query: Uint8Array = st.customer.encryptFeatures(new Array(64).fill(0.5));
        const flipped = query.slice();
        flipped[2000]! ^= 1;
        // A tampered body under a recomputed digest: only SEAL's own checks stand.
        const env = W.fromWire(st.bankCtx, query, 'ciphertext');
        const body = env.body.slice();
        for (let i = 16; i < body.length; i += 97) body[i] = 0xff;
        const rewrapped = W.toWire(st.bankCtx, { ...env, body });
        // Valid SEAL header, random rest, valid envelope.
        const junk = Uint8Array.from(garbage);
        junk.set(env.body.subarray(0, 16));
        new DataView(junk.buffer).setBigUint64(8, BigInt(junk.length), true);
        const junkWrapped = W.toWire(st.bankCtx, { ...env, body: junk });
        // A ciphertext made under other parameters (n = 16384).
        const foreign = L.LatticeClient.create(st.bigCtx ?? L.createContext(seal, 'ckks-16384'));
        const foreignQuery = foreign.encrypt(new Array(64).fill(0.5));
        const out = {
          flipped: caught(() => bank.score(flipped)),
          truncated: caught(() => bank.score(query.subarray(0, query.length - 100))),
          empty: caught(() => bank.score(new Uint8Array(0))),
          garbage: caught(() => bank.score(Uint8Array.from(garbage))),
          rewrapped: caught(() => bank.score(rewrapped)),
          junkWrapped: caught(() => bank.score(junkWrapped)),
          foreign: caught(() => bank.score(foreignQuery)),
          relinAsQuery: caught(() => bank.score(st.keys.relinKeys)),
          notBytes: caught(() => bank.score('hello' as never)),
          // The bank's own answer (two levels down) offered as a fresh ciphertext.
          lowLevel: caught(() => bank.evaluator.load(bank.score(query))),
          badKeys: caught(
            () =>
              new L.ScoringBank(
                st.bankCtx,
                { weights: [1], bias: 0 },
                { ...st.keys, galoisKeys: Uint8Array.from(garbage) },
              ),
          ),
          swappedKeys: caught(
            () =>
              new L.ScoringBank(
                st.bankCtx,
                { weights: [1], bias: 0 },
                {
                  ...st.keys,
                  galoisKeys: st.keys.relinKeys,
                },
              ),
          ),
          tamperedAnswer: caught(() => {
            const a: Uint8Array = bank.score(query);
            a[a.length - 1]! ^= 0x80;
            st.customer.decryptScore(a);
          }),
          // The untampered query still scores after all of that (nothing left broken behind).
          stillWorks: st.customer.decryptScore(bank.score(query)) as number,
        };
        foreign.dispose();
        bank.dispose();
        return out;
      },
      { garbage },
    );
    const z = 0.1 * 0.5 * 64;
    expect(Math.abs(r.stillWorks - evalCubic(SIGMOID_FIT_8.coeffs, z))).toBeLessThan(CKKS_BOUND);
    expect(r.flipped).toMatchObject({ name: 'LatticeFormatError', lattice: true });
    expect(r.flipped!.message).toMatch(/digest mismatch/);
    expect(r.truncated!.message).toMatch(/truncated/);
    expect(r.empty!.message).toMatch(/too short/);
    expect(r.garbage).toMatchObject({ name: 'LatticeFormatError' });
    expect(r.garbage!.message).toMatch(/bad magic/);
    // SEAL's own validation, surfaced as a typed error rather than a WebAssembly exception.
    expect(r.rewrapped).toMatchObject({ name: 'LatticeFormatError', lattice: true });
    expect(r.junkWrapped).toMatchObject({ name: 'LatticeFormatError', lattice: true });
    expect(r.foreign).toMatchObject({ name: 'LatticeMismatchError' });
    expect(r.foreign!.message).toMatch(/parameter set/);
    expect(r.relinAsQuery).toMatchObject({ name: 'LatticeMismatchError' });
    expect(r.relinAsQuery!.message).toMatch(/hold a relin-keys/);
    expect(r.notBytes).toMatchObject({ name: 'TypeError' });
    expect(r.lowLevel).toMatchObject({ name: 'LatticeFormatError' });
    expect(r.lowLevel!.message).toMatch(/at level 0, expected a fresh one at level 3/);
    expect(r.badKeys).toMatchObject({ name: 'LatticeFormatError' });
    expect(r.swappedKeys).toMatchObject({ name: 'LatticeMismatchError' });
    expect(r.tamperedAnswer!.message).toMatch(/digest mismatch/);
  });

  it("surfaces SEAL's own validation as a typed error, and shows (positive control) what the digest guards", async () => {
    const r = await page.evaluate(() => {
      const { lattice: L, latticeWire: W, seal, st, caught } = globalThis as unknown as PageGlobals;
      const bank = new L.ScoringBank(
        st.bankCtx,
        { weights: new Array(64).fill(0.1), bias: 0 },
        st.keys,
      );
      const answer: Uint8Array = bank.score(st.customer.encryptFeatures(new Array(64).fill(0.5)));
      bank.dispose();
      // Re-serialise the answer without compression, so single coefficients can be edited.
      const env = W.fromWire(st.customerCtx, answer, 'ciphertext');
      const ct = new seal.Ciphertext();
      ct.loadFromArray(st.customerCtx.context, env.body);
      const plainBody = new Uint8Array(ct.saveToArray(seal.ComprModeType.none) as Uint8Array);
      ct.delete();
      const edit = (last8: number, rewrap: boolean) => {
        const body = plainBody.slice();
        body.fill(last8, body.length - 8);
        const bytes = W.toWire(st.customerCtx, { ...env, body });
        if (!rewrap) bytes[W.HEAD + body.length - 1]! ^= 1; // an edit the digest does not cover
        return bytes;
      };
      const decrypted = (bytes: Uint8Array) => {
        let v = Number.NaN;
        const e = caught(() => (v = st.customer.decryptScore(bytes)));
        return { e, v };
      };
      return {
        original: decrypted(W.toWire(st.customerCtx, { ...env, body: plainBody })),
        outOfRange: decrypted(edit(0xff, true)),
        inRange: decrypted(edit(0, true)),
        inRangeUnsealed: decrypted(edit(0, false)),
      };
    }, undefined);
    const want = evalCubic(SIGMOID_FIT_8.coeffs, 3.2);
    expect(r.original.e).toBeNull();
    expect(Math.abs(r.original.v - want)).toBeLessThan(CKKS_BOUND);
    // A coefficient above its prime: SEAL refuses it; the WebAssembly exception arrives typed.
    expect(r.outOfRange.e).toMatchObject({ name: 'LatticeFormatError', lattice: true });
    expect(r.outOfRange.e!.message).toMatch(/decrypt: loading the ciphertext: .*(invalid|valid)/);
    // Positive control: an in-range edit under a recomputed digest passes SEAL and silently
    // changes the score (the envelope's digest, not SEAL, is what catches accidental changes;
    // it is no MAC, see docs/HE-LATTICE.md) ...
    expect(r.inRange.e).toBeNull();
    expect(Math.abs(r.inRange.v - want)).toBeGreaterThan(1e-3);
    // ... and the same edit without the digest recomputed is caught.
    expect(r.inRangeUnsealed.e!.message).toMatch(/digest mismatch/);
  });

  it('scores integers exactly over BFV, with partial sums masked and wrap-around refused', async () => {
    const bound = 1000;
    const trials = [
      {
        weights: randomInts(FEATURES, bound),
        bias: randomInts(1, 100_000)[0]!,
        x: randomInts(FEATURES, bound),
      },
      { weights: randomInts(FEATURES, bound), bias: 0, x: new Array<number>(FEATURES).fill(0) },
      {
        weights: new Array<number>(FEATURES).fill(-bound),
        bias: -5,
        x: new Array<number>(FEATURES).fill(bound),
      },
      {
        weights: new Array<number>(FEATURES).fill(bound),
        bias: 7,
        x: new Array<number>(FEATURES).fill(bound),
      },
      {
        weights: [...new Array<number>(FEATURES - 1).fill(0), -1],
        bias: 0,
        x: new Array<number>(FEATURES).fill(-1),
      },
    ];
    const r = await page.evaluate(
      ({ trials, bound }) => {
        const { lattice: L, st, caught } = globalThis as unknown as PageGlobals;
        const results = trials.map((t) => {
          const q = st.bfvClient.encrypt(t.x);
          const a = L.integerScore(
            st.bfvServer,
            { weights: t.weights, bias: t.bias, featureBound: bound },
            q,
          );
          const slots = Array.from(st.bfvClient.decrypt(a, 8) as BigInt64Array, String);
          return { slots, budget: st.bfvClient.noiseBudget(a) as number };
        });
        const q = st.bfvClient.encrypt(new Array(64).fill(1));
        return {
          results,
          wraps: caught(() =>
            L.integerScore(
              st.bfvServer,
              { weights: new Array(64).fill(10_000), bias: 0, featureBound: 1000 },
              q,
            ),
          ),
          fractional: caught(() =>
            L.integerScore(
              st.bfvServer,
              { weights: [0.5, ...new Array(63).fill(1)], bias: 0, featureBound: 1 },
              q,
            ),
          ),
          outOfRange: caught(() => st.bfvClient.encrypt([2 ** 40])),
          ckksQuery: caught(() =>
            L.integerScore(
              st.bfvServer,
              { weights: new Array(64).fill(1), bias: 0, featureBound: 1 },
              st.customer.encryptFeatures(new Array(64).fill(0)),
            ),
          ),
        };
      },
      { trials, bound },
    );
    r.results.forEach(({ slots, budget }, i) => {
      const t = trials[i]!;
      expect(slots[0]).toBe(String(plainLinear(t.weights, t.bias, t.x)));
      expect(slots.slice(1)).toEqual(new Array(7).fill('0'));
      expect(budget).toBeGreaterThan(0);
    });
    expect(r.wraps).toMatchObject({ name: 'RangeError' });
    expect(r.wraps!.message).toMatch(/would wrap/);
    expect(r.fractional!.message).toMatch(/weight 0 is not a safe integer/);
    expect(r.outOfRange!.message).toMatch(/outside \(-t\/2, t\/2\)/);
    expect(r.ckksQuery).toMatchObject({ name: 'LatticeMismatchError' });
  });

  it('adds and multiplies encrypted vectors like the plaintext (CKKS approximately, BFV exactly)', async () => {
    const a = uniforms(16, -4, 4);
    const b = uniforms(16, -4, 4);
    const ia = randomInts(16, 20_000);
    const ib = randomInts(16, 20_000);
    const r = await page.evaluate(
      ({ a, b, ia, ib }) => {
        const { lattice: L, st } = globalThis as unknown as PageGlobals;
        const run = (clientCtx: unknown, serverCtx: unknown, x: number[], y: number[]) => {
          const client = L.LatticeClient.create(clientCtx as never);
          const server = L.LatticeEvaluator.fromKeys(
            serverCtx as never,
            client.evaluationKeys([1]),
          );
          const cx = server.load(client.encrypt(x));
          const cy = server.load(client.encrypt(y));
          const ops = [
            server.add(cx, cy),
            server.multiply(cx, cy),
            server.multiplyPlain(cx, y),
            server.addPlain(cx, y),
          ];
          const out = ops.map((v) => Array.from(client.decrypt(server.save(v)), Number));
          for (const v of [cx, cy, ...ops]) v.dispose();
          server.dispose();
          client.dispose();
          return out;
        };
        return {
          ckks: run(st.customerCtx, st.bankCtx, a, b),
          bfv: run(st.bfvClientCtx, st.bfvServerCtx, ia, ib),
        };
      },
      { a, b, ia, ib },
    );
    const expected = (x: number[], y: number[]) => [
      x.map((v, i) => v + y[i]!),
      x.map((v, i) => v * y[i]!),
      x.map((v, i) => v * y[i]!),
      x.map((v, i) => v + y[i]!),
    ];
    expected(a, b).forEach((want, k) =>
      want.forEach((v, i) => expect(Math.abs(r.ckks[k]![i]! - v)).toBeLessThan(CKKS_BOUND)),
    );
    // Products up to 4e8 stay below t/2 (about 5.4e8): exact.
    expect(r.bfv).toEqual(expected(ia, ib));
  });
});
