/**
 * Lazy wire vectors for the yao suite: the circuit under construction.
 *
 * A secret vector of n integers is a list of bit positions (least
 * significant first, two's complement, sign-extended beyond its width); each
 * position is either a public constant (0 or 1 for all n elements) or a
 * `Wire`: the labels of that bit for all n elements. A wire's labels exist
 * once its producer has run; until then it records how it will be made:
 *
 *   input   a party's private values (labels by OT or sent by the garbler),
 *   apply   a typed-array circuit (src/primitives/circuits) applied to n
 *           instances of its inputs (garbled SIMD-style, layer by layer),
 *   gather  elements picked from other wires (a local relabelling).
 *
 * Local operations only add producers. `flush` (called by open) runs every
 * pending producer the opened wires depend on, in creation order, which is
 * the same at both parties because they run the same program. Gates whose
 * outputs nobody needs are pruned before garbling, so a comparison of two
 * 64-bit-wide values whose difference fits 33 bits costs 32 AND gates, not 64.
 */
import {
  CircuitBuilder,
  CONST0,
  CONST1,
  inputCount,
  type Circuit,
} from '../../primitives/circuits/circuit.js';

/** A bit position: a public constant or a wire vector. */
export type Bit = 0 | 1 | Wire;

export type Producer = InputProducer | ApplyProducer | GatherProducer;

export interface InputProducer {
  readonly kind: 'input';
  readonly id: number;
  readonly owner: number;
  readonly n: number;
  /** At the owner only: bit k of element i at k n + i. */
  bits: Uint8Array | undefined;
  readonly outputs: Wire[];
}

export interface ApplyProducer {
  readonly kind: 'apply';
  readonly id: number;
  readonly n: number;
  readonly circuit: Circuit;
  inputs: Wire[];
  /** Circuit output k feeds outputs[k]. */
  readonly outputs: Wire[];
}

export interface GatherProducer {
  readonly kind: 'gather';
  readonly id: number;
  /** Concatenated sources, each with its length; const sources stand for n copies. */
  sources: Array<{ bit: Bit; n: number }>;
  readonly idx: Uint32Array;
  readonly outputs: [Wire];
}

export class Wire {
  labels: Uint32Array | undefined;
  producer: Producer | undefined;
  constructor(readonly n: number) {}
}

/** Creates producers with ids in program order; one per party and session. */
export class WireFactory {
  #next = 0;
  readonly #circuits = new Map<string, CompiledOp>();

  get nextId(): number {
    return this.#next;
  }

  /** Input wires of `width` bits; `values` (at the owner) hold two's-complement integers. */
  input(owner: number, n: number, width: number, values: BigInt64Array | undefined): Wire[] {
    let bits: Uint8Array | undefined;
    if (values) {
      bits = new Uint8Array(width * n);
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        const lo = Number(BigInt.asUintN(32, v));
        const hi = Number(BigInt.asUintN(32, v >> 32n));
        for (let k = 0; k < width; k++)
          bits[k * n + i] = k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
      }
    }
    return this.inputBits(owner, n, width, bits);
  }

  /** Input wires from raw bits (bit k of element i at k n + i, at the owner). */
  inputBits(owner: number, n: number, width: number, bits: Uint8Array | undefined): Wire[] {
    const outputs = Array.from({ length: width }, () => new Wire(n));
    const p: InputProducer = { kind: 'input', id: this.#next++, owner, n, bits, outputs };
    for (const w of outputs) w.producer = p;
    return outputs;
  }

  /** Applies a ready-made circuit (inputs in order) to n instances. */
  applyCircuit(c: Circuit, n: number, inputs: Wire[]): Wire[] {
    if (inputs.length !== inputCount(c))
      throw new RangeError(`circuit: expected ${inputCount(c)} input wires, got ${inputs.length}`);
    for (const w of inputs) if (w.n !== n) throw new RangeError('circuit: input lengths differ');
    const p: ApplyProducer = {
      kind: 'apply',
      id: this.#next++,
      n,
      circuit: c,
      inputs,
      outputs: [],
    };
    for (let k = 0; k < c.outputs.length; k++) {
      const w = new Wire(n);
      w.producer = p;
      p.outputs.push(w);
    }
    return p.outputs;
  }

  /** A wire of n public bits whose labels are known at once. */
  ready(n: number, labels: Uint32Array): Wire {
    const w = new Wire(n);
    w.labels = labels;
    return w;
  }

  /** Elements idx of the concatenation of the sources. */
  gather(sources: Array<{ bit: Bit; n: number }>, idx: Uint32Array): Bit {
    const total = sources.reduce((a, s) => a + s.n, 0);
    for (let i = 0; i < idx.length; i++)
      if (idx[i]! >= total)
        throw new RangeError(`gather: index ${idx[i]} out of range (length ${total})`);
    // A gather from one constant, or from constants that agree, is that constant.
    const first = sources[0]?.bit;
    if (first !== undefined && typeof first === 'number' && sources.every((s) => s.bit === first))
      return first;
    const out = new Wire(idx.length);
    out.producer = { kind: 'gather', id: this.#next++, sources, idx, outputs: [out] };
    return out;
  }

  /**
   * Applies a circuit generator to n instances: `args` are bit lists, `gen`
   * builds outputs from builder wires standing for them. Equal inputs share
   * one circuit input and constants are folded, so the compiled circuit
   * depends on the pattern of constants and repeats, which is cached under
   * `key` + that pattern.
   */
  apply(
    key: string,
    n: number,
    args: ReadonlyArray<readonly Bit[]>,
    gen: (b: CircuitBuilder, ins: number[][]) => number[][],
  ): Bit[][] {
    const distinct: Wire[] = [];
    const index = new Map<Wire, number>();
    const sig: string[] = [];
    for (const arg of args) {
      for (const bit of arg) {
        if (typeof bit === 'number') {
          sig.push(bit ? 'I' : 'O');
          continue;
        }
        if (bit.n !== n) throw new RangeError(`${key}: operand lengths differ (${bit.n} and ${n})`);
        let k = index.get(bit);
        if (k === undefined) {
          k = distinct.length;
          distinct.push(bit);
          index.set(bit, k);
        }
        sig.push(String(k));
      }
      sig.push('|');
    }
    const full = `${key}#${sig.join(',')}`;
    let op = this.#circuits.get(full);
    if (!op) {
      op = compile(args, distinct.length, gen);
      this.#circuits.set(full, op);
    }
    const outWires: Wire[] = [];
    if (op.circuit.outputs.length > 0) {
      const p: ApplyProducer = {
        kind: 'apply',
        id: this.#next++,
        n,
        circuit: op.circuit,
        inputs: distinct,
        outputs: [],
      };
      for (let k = 0; k < op.circuit.outputs.length; k++) {
        const w = new Wire(n);
        w.producer = p;
        p.outputs.push(w);
        outWires.push(w);
      }
    }
    return op.outputs.map((group) =>
      group.map((o) =>
        o.kind === 'const' ? o.value : o.kind === 'input' ? distinct[o.index]! : outWires[o.index]!,
      ),
    );
  }
}

type OutRef =
  | { kind: 'const'; value: 0 | 1 }
  | { kind: 'input'; index: number }
  | { kind: 'gate'; index: number };

interface CompiledOp {
  /** Inputs: the distinct wires in order; outputs: the distinct gate outputs. */
  readonly circuit: Circuit;
  readonly outputs: OutRef[][];
}

function compile(
  args: ReadonlyArray<readonly Bit[]>,
  nDistinct: number,
  gen: (b: CircuitBuilder, ins: number[][]) => number[][],
): CompiledOp {
  const b = new CircuitBuilder();
  const inWires = nDistinct > 0 ? b.input(nDistinct) : [];
  let k = 0;
  const seen = new Map<Wire, number>();
  const ins = args.map((arg) =>
    arg.map((bit) => {
      if (typeof bit === 'number') return bit ? CONST1 : CONST0;
      let i = seen.get(bit);
      if (i === undefined) {
        i = k++;
        seen.set(bit, i);
      }
      return inWires[i]!;
    }),
  );
  const outs = gen(b, ins);
  const gateOuts: number[] = [];
  const gateIndex = new Map<number, number>();
  const refs = outs.map((group) =>
    group.map((w): OutRef => {
      if (w === CONST0 || w === CONST1) return { kind: 'const', value: w === CONST1 ? 1 : 0 };
      if (w < 2 + nDistinct) return { kind: 'input', index: w - 2 };
      let g = gateIndex.get(w);
      if (g === undefined) {
        g = gateOuts.length;
        gateOuts.push(w);
        gateIndex.set(w, g);
      }
      return { kind: 'gate', index: g };
    }),
  );
  return { circuit: b.build([gateOuts]), outputs: refs };
}

/**
 * The part of c that computes the outputs flagged in `need`: gates feeding
 * them, and only the inputs they read (renumbered). `inputs` lists the
 * original input indices kept, `outputs` the original output indices.
 */
export interface Pruned {
  readonly circuit: Circuit;
  readonly inputs: number[];
  readonly outputs: number[];
}

const pruneCache = new WeakMap<Circuit, Map<string, Pruned>>();

export function prune(c: Circuit, need: readonly boolean[]): Pruned {
  const key = need.map((x) => (x ? '1' : '0')).join('');
  let byMask = pruneCache.get(c);
  if (!byMask) {
    byMask = new Map();
    pruneCache.set(c, byMask);
  }
  const hit = byMask.get(key);
  if (hit) return hit;
  const nIn = inputCount(c);
  const live = new Uint8Array(c.nWires);
  const outputs: number[] = [];
  need.forEach((x, k) => {
    if (x) {
      outputs.push(k);
      live[c.outputs[k]!] = 1;
    }
  });
  const nG = c.kind.length;
  const keep = new Uint8Array(nG);
  for (let g = nG - 1; g >= 0; g--) {
    if (!live[c.out[g]!]) continue;
    keep[g] = 1;
    live[c.in0[g]!] = 1;
    live[c.in1[g]!] = 1;
  }
  const inputs: number[] = [];
  for (let i = 0; i < nIn; i++) if (live[2 + i]) inputs.push(i);
  // Renumber: constants, kept inputs, kept gate outputs.
  const map = new Uint32Array(c.nWires);
  map[1] = 1;
  let next = 2;
  for (const i of inputs) map[2 + i] = next++;
  const kind: number[] = [];
  const in0: number[] = [];
  const in1: number[] = [];
  const out: number[] = [];
  for (let g = 0; g < nG; g++) {
    if (!keep[g]) continue;
    kind.push(c.kind[g]!);
    in0.push(map[c.in0[g]!]!);
    in1.push(map[c.in1[g]!]!);
    map[c.out[g]!] = next;
    out.push(next++);
  }
  const circuit: Circuit = {
    nWires: next,
    inputs: inputs.length > 0 ? [inputs.length] : [],
    outputs: Uint32Array.from(outputs, (k) => map[c.outputs[k]!]!),
    outputWidths: [outputs.length],
    kind: Uint8Array.from(kind),
    in0: Uint32Array.from(in0),
    in1: Uint32Array.from(in1),
    out: Uint32Array.from(out),
    nAnd: kind.reduce((s, k) => s + (k === 1 ? 1 : 0), 0),
  };
  const pruned = { circuit, inputs, outputs };
  byMask.set(key, pruned);
  return pruned;
}
