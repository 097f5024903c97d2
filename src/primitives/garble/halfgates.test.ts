import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { webCryptoProvider } from '../../random/provider.js';
import { Prg } from '../../random/prg.js';
import { bristolCircuit } from '../../../test/circuits.js';
import { CircuitBuilder, evaluatePlain, inputCount, type Circuit } from '../circuits/circuit.js';
import * as int from '../circuits/integer.js';
import { Evaluator, Garbler } from './halfgates.js';

const bristol = (name: string): Circuit => bristolCircuit(name);
/** Bits of a big-endian integer, least significant first (Bristol Fashion's order). */
function beBits(b: Uint8Array): number[] {
  return Array.from(
    { length: 8 * b.length },
    (_, i) => (b[b.length - 1 - (i >> 3)]! >> (i & 7)) & 1,
  );
}
function fromBeBits(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < bits.length; i++)
    out[out.length - 1 - (i >> 3)]! |= (bits[i]! & 1) << (i & 7);
  return out;
}

const prg = new Prg(new Uint8Array(16).fill(5), nodeCryptoProvider);

/**
 * Garbles n instances of c with random labels and evaluates them on the given
 * input bits (inputBits[i] = the bits of instance i); returns output bits per
 * instance, decoded with the garbler's permute bits.
 */
async function garbleAndEvaluate(
  c: Circuit,
  inputBits: number[][],
  provider = nodeCryptoProvider,
  wasm: [boolean, boolean] = [true, true],
) {
  const n = inputBits.length;
  const delta = prg.bytes(16);
  delta[0]! |= 1;
  const d = new Uint32Array(delta.slice().buffer);
  const nIn = inputCount(c);
  const zero = Array.from({ length: nIn }, () => new Uint32Array(prg.bytes(16 * n).buffer));
  const active = zero.map((z, k) => z.map((v, w) => (inputBits[w >> 2]![k] ? v ^ d[w & 3]! : v)));
  const tables: Uint32Array[] = [];
  const g = new Garbler(provider, delta, wasm[0]);
  const outZero = await g.garble(c, n, zero, (t) => void tables.push(t));
  const e = new Evaluator(provider, wasm[1]);
  let next = 0;
  const outActive = await e.evaluate(c, n, active, (words) => {
    const t = tables[next++]!;
    expect(t.length).toBe(words);
    return t;
  });
  expect(e.gatesProcessed).toBe(g.gatesProcessed);
  return {
    tables,
    bits: Array.from({ length: n }, (_, i) =>
      outActive.map((a, k) => (a[4 * i]! ^ outZero[k]![4 * i]!) & 1),
    ),
    labelsOk: outActive.every((a, k) =>
      a.every((v, w) => {
        const z = outZero[k]![w]!;
        return v === z || v === (z ^ d[w & 3]!) >>> 0;
      }),
    ),
  };
}

describe('half-gates garbling', () => {
  it('AES-128 garbled and evaluated agrees with node:crypto (many instances, one batch per layer)', async () => {
    const c = bristol('aes_128.txt');
    const n = 50;
    const keys = Array.from({ length: n }, () => prg.bytes(16));
    const pts = Array.from({ length: n }, () => prg.bytes(16));
    const r = await garbleAndEvaluate(
      c,
      keys.map((k, i) => [...beBits(k), ...beBits(pts[i]!)]),
    );
    expect(r.labelsOk).toBe(true);
    for (let i = 0; i < n; i++) {
      const want = createCipheriv('aes-128-ecb', keys[i]!, null)
        .setAutoPadding(false)
        .update(pts[i]!);
      expect(Buffer.from(fromBeBits(r.bits[i]!))).toEqual(want);
    }
    expect(r.tables.reduce((a, t) => a + t.length, 0)).toBe(8 * 6400 * n);
  });

  it('SHA-256 garbled agrees with node:crypto; one instance', async () => {
    const c = bristol('sha256.txt');
    const iv = Buffer.from(
      '6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19',
      'hex',
    );
    const msg = prg.bytes(40);
    const block = new Uint8Array(64);
    block.set(msg);
    block[40] = 0x80;
    block[63] = 40 * 8 - 256;
    block[62] = 1;
    const r = await garbleAndEvaluate(c, [[...beBits(block), ...beBits(iv)]]);
    expect(Buffer.from(fromBeBits(r.bits[0]!))).toEqual(createHash('sha256').update(msg).digest());
  });

  it('constants, INV, XOR-only and AND-free circuits; the portable AES gives the same answers', async () => {
    const b = new CircuitBuilder();
    const x = b.input(8);
    const y = b.input(8);
    const c = b.build([
      int.add(b, x, y, 9),
      int.mul(b, x, int.constant(-3n, 4), 12),
      [b.not(x[0]!), 1, 0, x[3]!],
      [int.lessThan(b, x, y), int.equal(b, x, y)],
    ]);
    const inputs = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 16 }, (_, k) => ((i * 2654435761) >>> (k + 3)) & 1),
    );
    for (const provider of [nodeCryptoProvider, webCryptoProvider]) {
      const r = await garbleAndEvaluate(c, inputs, provider);
      inputs.forEach((bits, i) => expect(r.bits[i]).toEqual(Array.from(evaluatePlain(c, bits))));
    }
    const xorOnly = new CircuitBuilder();
    const [p, q] = xorOnly.input(2);
    const r = await garbleAndEvaluate(xorOnly.build([[xorOnly.xor(p!, q!)]]), [
      [1, 0],
      [1, 1],
    ]);
    expect(r.bits).toEqual([[1], [0]]);
    expect(r.tables.length).toBe(0);
  });

  it('the WebAssembly and JavaScript kernels produce interchangeable tables', async () => {
    const c = bristol('aes_128.txt');
    const n = 3;
    const keys = Array.from({ length: n }, () => prg.bytes(16));
    const pts = Array.from({ length: n }, () => prg.bytes(16));
    const bits = keys.map((k, i) => [...beBits(k), ...beBits(pts[i]!)]);
    for (const wasm of [
      [false, false],
      [true, false],
      [false, true],
    ] as Array<[boolean, boolean]>) {
      const r = await garbleAndEvaluate(c, bits, nodeCryptoProvider, wasm);
      expect(r.labelsOk).toBe(true);
      for (let i = 0; i < n; i++) {
        const want = createCipheriv('aes-128-ecb', keys[i]!, null)
          .setAutoPadding(false)
          .update(pts[i]!);
        expect(Buffer.from(fromBeBits(r.bits[i]!))).toEqual(want);
      }
    }
  });

  it('tables are fresh per garbling and depend on Delta', async () => {
    const c = bristol('adder64.txt');
    const bits = [Array.from({ length: 128 }, (_, i) => i & 1)];
    const a = await garbleAndEvaluate(c, bits);
    const b = await garbleAndEvaluate(c, bits);
    expect(a.bits).toEqual(b.bits);
    expect(a.tables[0]).not.toEqual(b.tables[0]);
  });

  it('refuses a Delta whose permute bit is 0 and mismatched inputs', async () => {
    expect(() => new Garbler(nodeCryptoProvider, new Uint8Array(16))).toThrow(/lowest bit 1/);
    const g = new Garbler(nodeCryptoProvider, Uint8Array.of(1, ...new Array(15).fill(0)));
    await expect(g.garble(bristol('adder64.txt'), 1, [], () => undefined)).rejects.toThrow(
      /expected 128 input wires/,
    );
  });
});
