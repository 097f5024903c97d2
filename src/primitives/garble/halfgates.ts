/**
 * Garbled circuits: half-gates (Zahur, Rosulek, Evans, "Two Halves Make a
 * Whole", EUROCRYPT 2015) with free-XOR (Kolesnikov, Schneider, ICALP 2008)
 * and point-and-permute, hashing by the fixed-key-AES TCCR hash of Guo,
 * Katz, Wang, Yu (S&P 2020; src/primitives/hash.ts).
 *
 * Security: the garbled circuit hides everything but the outputs from an
 * evaluator that holds one label per input wire (semi-honest garbler and
 * evaluator; privacy and correctness against a malicious evaluator, none
 * against a malicious garbler). Labels are 128 bits; Delta is random with
 * its lowest bit 1 (the point-and-permute bit of a label is its lowest bit).
 *
 * Conventions. Every wire w has a zero-label W0 (held by the garbler); its
 * one-label is W0 xor Delta. The evaluator holds the active label. The
 * constant wires are public: their active label is 0, so the garbler's
 * zero-label of constant b is b Delta. An AND gate costs two blocks (32
 * bytes) of table; XOR and INV gates are free.
 *
 * Half-gates, for AND gate with input zero-labels A, B, permute bits
 * pa = lsb(A), pb = lsb(B), tweaks j, j' (unique per gate and instance):
 *   T_G = H(A, j) xor H(A xor Delta, j) xor pb Delta,   W_G = H(A, j) xor pa T_G
 *   T_E = H(B, j') xor H(B xor Delta, j') xor A,        W_E = H(B, j') xor pb (T_E xor A)
 *   output zero-label W_G xor W_E; the table is (T_G, T_E).
 * The evaluator, with active labels a, b and sa = lsb(a), sb = lsb(b):
 *   W_G = H(a, j) xor sa T_G;  W_E = H(b, j') xor sb (T_E xor a).
 *
 * Work is organised by `schedule()`: a circuit runs on many instances at
 * once (SIMD: one circuit, n independent inputs), and every AND layer of
 * every instance in a chunk is one batch of fixed-key AES calls. Labels live
 * in typed arrays, slot-major (slot s holds the labels of all instances of
 * the wire stored there); no per-gate objects exist.
 */
import type { CryptoProvider } from '../../random/provider.js';
import {
  INV,
  XOR,
  inputCount,
  schedule,
  type Circuit,
  type Schedule,
} from '../circuits/circuit.js';
import { TccrHash, tmmoPasses, TWEAK_DOMAIN } from '../hash.js';
import { ensure, garbleKernels, type GarbleKernels } from './wasm.js';

/** Bytes of garbled table per AND gate. */
export const TABLE_BYTES_PER_AND = 32;

/** Limits that bound memory per chunk of instances. */
const TABLE_WORDS_PER_CHUNK = (8 << 20) >>> 2; // 8 MiB of tables
const LABEL_WORDS_PER_CHUNK = (32 << 20) >>> 2; // 32 MiB of live labels

/**
 * Instances per chunk for circuit c: both sides compute the same split, so
 * the evaluator reads tables in the order the garbler wrote them.
 */
export function chunkSize(c: Circuit, n: number): number {
  const s = schedule(c);
  const byTables = c.nAnd > 0 ? Math.floor(TABLE_WORDS_PER_CHUNK / (8 * c.nAnd)) : n;
  const byLabels = Math.floor(LABEL_WORDS_PER_CHUNK / (4 * s.nSlots));
  return Math.max(1, Math.min(n, byTables, byLabels));
}

function checkInputs(c: Circuit, n: number, inputs: readonly Uint32Array[]): void {
  const nIn = inputCount(c);
  if (inputs.length !== nIn)
    throw new RangeError(`garble: expected ${nIn} input wires, got ${inputs.length}`);
  for (const x of inputs)
    if (x.length !== 4 * n)
      throw new RangeError(`garble: expected ${4 * n} words of labels per wire, got ${x.length}`);
}

/** State common to both sides: the hash and the tweak counter. */
abstract class Side {
  protected readonly hash: TccrHash;
  /** AND-gate instances processed so far; AND instance k uses tweaks 2k and 2k + 1. */
  protected counter = 0;
  #labels = new Uint32Array(0);
  #buf = new Uint32Array(0);
  #hashed = new Uint32Array(0);
  #pass2 = new Uint32Array(0);

  /** WebAssembly SIMD glue, when available (a JavaScript path remains). */
  protected readonly kernels: GarbleKernels | undefined;

  constructor(provider: CryptoProvider, useWasm = true) {
    this.hash = new TccrHash(provider);
    this.kernels = useWasm ? garbleKernels() : undefined;
  }

  /**
   * One chunk with the WebAssembly glue. Memory: label slots, then the AND
   * layer's hash inputs X, pi(X) and the second pass, the tables, Delta and
   * a zero label. `garbler` selects the side; `tablesIn` feeds the evaluator.
   */
  protected chunkWasm(
    k: GarbleKernels,
    c: Circuit,
    s: Schedule,
    inputs: readonly Uint32Array[],
    outputs: Uint32Array[],
    i0: number,
    m: number,
    delta: Uint32Array | undefined,
    tables: Uint32Array,
  ): void {
    const garbler = delta !== undefined;
    const per = garbler ? 64 : 32; // bytes of hash input per AND instance
    let maxLayer = 0;
    for (let st = 0; st < s.isAnd.length; st++)
      if (s.isAnd[st]) maxLayer = Math.max(maxLayer, s.stepStart[st + 1]! - s.stepStart[st]!);
    const W = 16 * m; // bytes per slot
    const xOff = W * s.nSlots;
    const layer = per * maxLayer * m;
    const pOff = xOff + layer;
    const yOff = pOff + layer;
    const tabOff = yOff + layer;
    const dOff = tabOff + 32 * c.nAnd * m;
    const zOff = dOff + 16;
    ensure(k, zOff + 16);
    const buf = k.memory.buffer;
    const L = new Uint32Array(buf, 0, (W * s.nSlots) >>> 2);
    L.fill(0, 0, 8 * m);
    const dv = new Uint32Array(buf, dOff, 8);
    dv.fill(0);
    if (delta) {
      dv.set(delta);
      for (let w = 4 * m; w < 8 * m; w += 4) L.set(delta, w);
    } else {
      new Uint32Array(buf, tabOff, tables.length).set(tables);
    }
    for (let q = 0; q < inputs.length; q++)
      L.set(inputs[q]!.subarray(4 * i0, 4 * (i0 + m)), 4 * m * s.inputSlots[q]!);
    const { kind, in0, in1, out } = c;
    const { order, slot, stepStart, isAnd } = s;
    const pi = this.hash.pi;
    let t = tabOff;
    for (let st = 0; st < isAnd.length; st++) {
      const from = stepStart[st]!;
      const to = stepStart[st + 1]!;
      if (from === to) continue;
      if (!isAnd[st]) {
        for (let p = from; p < to; p++) {
          const g = order[p]!;
          const o = W * slot[out[g]!]!;
          const a = W * slot[in0[g]!]!;
          if (kind[g] === XOR) k.xorv(a, W * slot[in1[g]!]!, o, m);
          else if (kind[g] === INV) k.xorc(a, garbler ? dOff : zOff, o, m);
          else throw new Error(`garble: gate ${g} of kind ${kind[g]} in a linear step`);
        }
        continue;
      }
      const G = to - from;
      for (let p = from, q = 0; p < to; p++, q++) {
        const g = order[p]!;
        const a = W * slot[in0[g]!]!;
        const b = W * slot[in1[g]!]!;
        if (garbler) k.gatherG(a, b, xOff + per * m * q, m, dOff);
        else k.gatherE(a, b, xOff + per * m * q, m);
      }
      const blocks = (per / 16) * G * m;
      const X = new Uint32Array(buf, xOff, 4 * blocks);
      const P = new Uint32Array(buf, pOff, 4 * blocks);
      const Y = new Uint32Array(buf, yOff, 4 * blocks);
      pi.permute(X, P, blocks);
      const start = BigInt(2 * this.counter);
      if (garbler) k.tweak(pOff, yOff, blocks >>> 1, start, TWEAK_DOMAIN.garbling, 2);
      else k.tweak(pOff, yOff, blocks, start, TWEAK_DOMAIN.garbling, 1);
      pi.permute(Y, Y, blocks);
      this.counter += G * m;
      for (let p = from, q = 0; p < to; p++, q++) {
        const o = W * slot[out[order[p]!]!]!;
        const off = per * m * q;
        if (garbler) k.combineG(xOff + off, pOff + off, yOff + off, t, o, m, dOff);
        else k.combineE(xOff + off, pOff + off, yOff + off, t, o, m);
        t += 32 * m;
      }
    }
    if (garbler) tables.set(new Uint32Array(buf, tabOff, tables.length));
    for (let q = 0; q < outputs.length; q++) {
      const o = 4 * m * s.outputSlots[q]!;
      outputs[q]!.set(L.subarray(o, o + 4 * m), 4 * i0);
    }
  }

  /** Tweak counter: both sides must process the same circuits in the same order. */
  get gatesProcessed(): number {
    return this.counter;
  }

  protected scratch(
    words: number,
    bufWords: number,
  ): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
    if (this.#labels.length < words) this.#labels = new Uint32Array(words);
    if (this.#buf.length < bufWords) {
      this.#buf = new Uint32Array(bufWords);
      this.#hashed = new Uint32Array(bufWords);
      this.#pass2 = new Uint32Array(bufWords);
    }
    return [this.#labels, this.#buf, this.#hashed, this.#pass2];
  }

  protected loadInputs(
    s: Schedule,
    labels: Uint32Array,
    inputs: readonly Uint32Array[],
    i0: number,
    m: number,
  ): void {
    for (let k = 0; k < inputs.length; k++)
      labels.set(inputs[k]!.subarray(4 * i0, 4 * (i0 + m)), 4 * m * s.inputSlots[k]!);
  }

  protected storeOutputs(
    s: Schedule,
    labels: Uint32Array,
    outputs: Uint32Array[],
    i0: number,
    m: number,
  ): void {
    for (let k = 0; k < outputs.length; k++) {
      const o = 4 * m * s.outputSlots[k]!;
      outputs[k]!.set(labels.subarray(o, o + 4 * m), 4 * i0);
    }
  }

  /** XOR and INV gates of one linear step (INV flips by `inv`, Delta or 0). */
  protected linear(
    c: Circuit,
    s: Schedule,
    labels: Uint32Array,
    m: number,
    from: number,
    to: number,
    inv: Uint32Array | undefined,
  ): void {
    const { kind, in0, in1, out } = c;
    const { order, slot } = s;
    const W = 4 * m;
    for (let p = from; p < to; p++) {
      const g = order[p]!;
      const o = W * slot[out[g]!]!;
      const a = W * slot[in0[g]!]!;
      const k = kind[g];
      if (k === XOR) {
        const b = W * slot[in1[g]!]!;
        for (let w = 0; w < W; w++) labels[o + w] = labels[a + w]! ^ labels[b + w]!;
      } else if (k === INV) {
        if (inv) {
          const d0 = inv[0]!;
          const d1 = inv[1]!;
          const d2 = inv[2]!;
          const d3 = inv[3]!;
          for (let w = 0; w < W; w += 4) {
            labels[o + w] = labels[a + w]! ^ d0;
            labels[o + w + 1] = labels[a + w + 1]! ^ d1;
            labels[o + w + 2] = labels[a + w + 2]! ^ d2;
            labels[o + w + 3] = labels[a + w + 3]! ^ d3;
          }
        } else {
          labels.copyWithin(o, a, a + W);
        }
      } else {
        throw new Error(`garble: gate ${g} of kind ${k} in a linear step`);
      }
    }
  }
}

/** The garbler: holds Delta, produces zero-labels of outputs and the tables. */
export class Garbler extends Side {
  readonly #delta: Uint32Array;

  /** @throws {RangeError} unless Delta is 16 bytes with its lowest bit set. */
  constructor(provider: CryptoProvider, delta: Uint8Array, useWasm = true) {
    super(provider, useWasm);
    if (delta.length !== 16 || (delta[0]! & 1) !== 1)
      throw new RangeError('Garbler: Delta must be 16 bytes with its lowest bit 1');
    this.#delta = new Uint32Array(delta.slice().buffer);
  }

  /**
   * Garbles n instances of c. `inputs[k]` holds the zero-labels of input wire
   * k for every instance (4 words each). Tables go to `sink` chunk by chunk
   * (8 words per AND gate and instance, in schedule order) and the sink may
   * wait (backpressure). Returns the zero-labels of the output wires.
   */
  async garble(
    c: Circuit,
    n: number,
    inputs: readonly Uint32Array[],
    sink: (tables: Uint32Array) => void | Promise<void>,
  ): Promise<Uint32Array[]> {
    checkInputs(c, n, inputs);
    const s = schedule(c);
    const outputs = Array.from(c.outputs, () => new Uint32Array(4 * n));
    const chunk = chunkSize(c, n);
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const m = Math.min(chunk, n - i0);
      const tables = new Uint32Array(8 * c.nAnd * m);
      this.garbleChunk(c, s, inputs, outputs, i0, m, tables);
      if (tables.length > 0) await sink(tables);
    }
    return outputs;
  }

  /** The synchronous kernel for instances [i0, i0 + m). */
  garbleChunk(
    c: Circuit,
    s: Schedule,
    inputs: readonly Uint32Array[],
    outputs: Uint32Array[],
    i0: number,
    m: number,
    tables: Uint32Array,
  ): void {
    if (this.kernels) {
      this.chunkWasm(this.kernels, c, s, inputs, outputs, i0, m, this.#delta, tables);
      return;
    }
    const W = 4 * m;
    let maxLayer = 0;
    for (let st = 0; st < s.isAnd.length; st++)
      if (s.isAnd[st]) maxLayer = Math.max(maxLayer, s.stepStart[st + 1]! - s.stepStart[st]!);
    const [labels, buf, hashed, pass2] = this.scratch(W * s.nSlots, 16 * maxLayer * m);
    const d = this.#delta;
    const [d0, d1, d2, d3] = [d[0]!, d[1]!, d[2]!, d[3]!];
    labels.fill(0, 0, W);
    for (let w = W; w < 2 * W; w += 4) {
      labels[w] = d0;
      labels[w + 1] = d1;
      labels[w + 2] = d2;
      labels[w + 3] = d3;
    }
    this.loadInputs(s, labels, inputs, i0, m);
    const { in0, in1, out } = c;
    const { order, slot, stepStart, isAnd } = s;
    let t = 0; // table words written
    for (let st = 0; st < isAnd.length; st++) {
      const from = stepStart[st]!;
      const to = stepStart[st + 1]!;
      if (from === to) continue;
      if (!isAnd[st]) {
        this.linear(c, s, labels, m, from, to, d);
        continue;
      }
      // Gather [A, A^Delta, B, B^Delta] per gate and instance.
      let x = 0;
      for (let p = from; p < to; p++) {
        const g = order[p]!;
        const a = W * slot[in0[g]!]!;
        const b = W * slot[in1[g]!]!;
        for (let w = 0; w < W; w += 4, x += 16) {
          const a0 = labels[a + w]!;
          const a1 = labels[a + w + 1]!;
          const a2 = labels[a + w + 2]!;
          const a3 = labels[a + w + 3]!;
          const b0 = labels[b + w]!;
          const b1 = labels[b + w + 1]!;
          const b2 = labels[b + w + 2]!;
          const b3 = labels[b + w + 3]!;
          buf[x] = a0;
          buf[x + 1] = a1;
          buf[x + 2] = a2;
          buf[x + 3] = a3;
          buf[x + 4] = a0 ^ d0;
          buf[x + 5] = a1 ^ d1;
          buf[x + 6] = a2 ^ d2;
          buf[x + 7] = a3 ^ d3;
          buf[x + 8] = b0;
          buf[x + 9] = b1;
          buf[x + 10] = b2;
          buf[x + 11] = b3;
          buf[x + 12] = b0 ^ d0;
          buf[x + 13] = b1 ^ d1;
          buf[x + 14] = b2 ^ d2;
          buf[x + 15] = b3 ^ d3;
        }
      }
      const blocks = x >>> 2;
      // P = pi(X), Y = pi(P xor tweak): H = Y xor P (TMMO), fused below.
      const P = hashed;
      const Y = pass2;
      tmmoPasses(this.hash.pi, buf, P, Y, blocks, 2 * this.counter, TWEAK_DOMAIN.garbling, 1);
      this.counter += blocks >>> 2;
      x = 0;
      for (let p = from; p < to; p++) {
        const g = order[p]!;
        const o = W * slot[out[g]!]!;
        for (let w = 0; w < W; w += 4, x += 16, t += 8) {
          const pa = -(buf[x]! & 1);
          const pb = -(buf[x + 8]! & 1);
          const ow = o + w;
          let hA0 = Y[x]! ^ P[x]!;
          let hB0 = Y[x + 8]! ^ P[x + 8]!;
          let tg = hA0 ^ Y[x + 4]! ^ P[x + 4]! ^ (d0 & pb);
          let dB = hB0 ^ Y[x + 12]! ^ P[x + 12]!;
          tables[t] = tg;
          tables[t + 4] = dB ^ buf[x]!;
          labels[ow] = hA0 ^ (tg & pa) ^ hB0 ^ (dB & pb);
          hA0 = Y[x + 1]! ^ P[x + 1]!;
          hB0 = Y[x + 9]! ^ P[x + 9]!;
          tg = hA0 ^ Y[x + 5]! ^ P[x + 5]! ^ (d1 & pb);
          dB = hB0 ^ Y[x + 13]! ^ P[x + 13]!;
          tables[t + 1] = tg;
          tables[t + 5] = dB ^ buf[x + 1]!;
          labels[ow + 1] = hA0 ^ (tg & pa) ^ hB0 ^ (dB & pb);
          hA0 = Y[x + 2]! ^ P[x + 2]!;
          hB0 = Y[x + 10]! ^ P[x + 10]!;
          tg = hA0 ^ Y[x + 6]! ^ P[x + 6]! ^ (d2 & pb);
          dB = hB0 ^ Y[x + 14]! ^ P[x + 14]!;
          tables[t + 2] = tg;
          tables[t + 6] = dB ^ buf[x + 2]!;
          labels[ow + 2] = hA0 ^ (tg & pa) ^ hB0 ^ (dB & pb);
          hA0 = Y[x + 3]! ^ P[x + 3]!;
          hB0 = Y[x + 11]! ^ P[x + 11]!;
          tg = hA0 ^ Y[x + 7]! ^ P[x + 7]! ^ (d3 & pb);
          dB = hB0 ^ Y[x + 15]! ^ P[x + 15]!;
          tables[t + 3] = tg;
          tables[t + 7] = dB ^ buf[x + 3]!;
          labels[ow + 3] = hA0 ^ (tg & pa) ^ hB0 ^ (dB & pb);
        }
      }
    }
    this.storeOutputs(s, labels, outputs, i0, m);
  }
}

/** The evaluator: holds active labels, consumes tables. */
export class Evaluator extends Side {
  /**
   * Evaluates n instances of c on active input labels; `source(words)`
   * resolves with the next `words` words of tables (as the garbler's sink
   * received them). Returns the active labels of the output wires.
   */
  async evaluate(
    c: Circuit,
    n: number,
    inputs: readonly Uint32Array[],
    source: (words: number) => Uint32Array | Promise<Uint32Array>,
  ): Promise<Uint32Array[]> {
    checkInputs(c, n, inputs);
    const s = schedule(c);
    const outputs = Array.from(c.outputs, () => new Uint32Array(4 * n));
    const chunk = chunkSize(c, n);
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const m = Math.min(chunk, n - i0);
      const words = 8 * c.nAnd * m;
      const tables = words > 0 ? await source(words) : new Uint32Array(0);
      if (tables.length !== words)
        throw new RangeError(`evaluate: expected ${words} words of tables, got ${tables.length}`);
      this.evaluateChunk(c, s, inputs, outputs, i0, m, tables);
    }
    return outputs;
  }

  evaluateChunk(
    c: Circuit,
    s: Schedule,
    inputs: readonly Uint32Array[],
    outputs: Uint32Array[],
    i0: number,
    m: number,
    tables: Uint32Array,
  ): void {
    if (this.kernels) {
      this.chunkWasm(this.kernels, c, s, inputs, outputs, i0, m, undefined, tables);
      return;
    }
    const W = 4 * m;
    let maxLayer = 0;
    for (let st = 0; st < s.isAnd.length; st++)
      if (s.isAnd[st]) maxLayer = Math.max(maxLayer, s.stepStart[st + 1]! - s.stepStart[st]!);
    const [labels, buf, hashed, pass2] = this.scratch(W * s.nSlots, 8 * maxLayer * m);
    labels.fill(0, 0, 2 * W);
    this.loadInputs(s, labels, inputs, i0, m);
    const { in0, in1, out } = c;
    const { order, slot, stepStart, isAnd } = s;
    let t = 0;
    for (let st = 0; st < isAnd.length; st++) {
      const from = stepStart[st]!;
      const to = stepStart[st + 1]!;
      if (from === to) continue;
      if (!isAnd[st]) {
        this.linear(c, s, labels, m, from, to, undefined);
        continue;
      }
      let x = 0;
      for (let p = from; p < to; p++) {
        const g = order[p]!;
        const a = W * slot[in0[g]!]!;
        const b = W * slot[in1[g]!]!;
        for (let w = 0; w < W; w += 4, x += 8) {
          buf[x] = labels[a + w]!;
          buf[x + 1] = labels[a + w + 1]!;
          buf[x + 2] = labels[a + w + 2]!;
          buf[x + 3] = labels[a + w + 3]!;
          buf[x + 4] = labels[b + w]!;
          buf[x + 5] = labels[b + w + 1]!;
          buf[x + 6] = labels[b + w + 2]!;
          buf[x + 7] = labels[b + w + 3]!;
        }
      }
      const blocks = x >>> 2;
      const P = hashed;
      const Y = pass2;
      tmmoPasses(this.hash.pi, buf, P, Y, blocks, 2 * this.counter, TWEAK_DOMAIN.garbling, 0);
      this.counter += blocks >>> 1;
      x = 0;
      for (let p = from; p < to; p++) {
        const g = order[p]!;
        const o = W * slot[out[g]!]!;
        for (let w = 0; w < W; w += 4, x += 8, t += 8) {
          const sa = -(buf[x]! & 1);
          const sb = -(buf[x + 4]! & 1);
          const ow = o + w;
          labels[ow] =
            Y[x]! ^
            P[x]! ^
            (tables[t]! & sa) ^
            Y[x + 4]! ^
            P[x + 4]! ^
            ((tables[t + 4]! ^ buf[x]!) & sb);
          labels[ow + 1] =
            Y[x + 1]! ^
            P[x + 1]! ^
            (tables[t + 1]! & sa) ^
            Y[x + 5]! ^
            P[x + 5]! ^
            ((tables[t + 5]! ^ buf[x + 1]!) & sb);
          labels[ow + 2] =
            Y[x + 2]! ^
            P[x + 2]! ^
            (tables[t + 2]! & sa) ^
            Y[x + 6]! ^
            P[x + 6]! ^
            ((tables[t + 6]! ^ buf[x + 2]!) & sb);
          labels[ow + 3] =
            Y[x + 3]! ^
            P[x + 3]! ^
            (tables[t + 3]! & sa) ^
            Y[x + 7]! ^
            P[x + 7]! ^
            ((tables[t + 7]! ^ buf[x + 3]!) & sb);
        }
      }
    }
    this.storeOutputs(s, labels, outputs, i0, m);
  }
}
