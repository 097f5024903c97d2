/**
 * Boolean circuits as typed arrays: gate g has kind[g] (XOR, AND or INV),
 * inputs in0[g], in1[g] and output out[g], in topological order. Wires 0 and
 * 1 are the constants 0 and 1; the input wires follow (2, 3, ...), group by
 * group, least significant bit first; every other wire is a gate output.
 *
 * The builder folds constants, removes double negations and shares identical
 * gates (structural hashing), so circuits composed from generic pieces (for
 * example a 64-bit multiplier on sign-extended 32-bit inputs) shrink to what
 * they need. `schedule()` orders a circuit for garbling: AND gates grouped
 * into layers of equal AND depth (each layer one batch of hashing), linear
 * gates between them, and wire storage slots reused once a wire is dead.
 */

export const XOR = 0;
export const AND = 1;
export const INV = 2;

export const CONST0 = 0;
export const CONST1 = 1;

export interface Circuit {
  /** Wires, including the two constants. */
  readonly nWires: number;
  /** Bit widths of the input groups (wires 2, 3, ... in order). */
  readonly inputs: readonly number[];
  /** Output wire ids (any wire: constants, inputs, gate outputs), group by group. */
  readonly outputs: Uint32Array;
  /** Bit widths of the output groups. */
  readonly outputWidths: readonly number[];
  readonly kind: Uint8Array;
  readonly in0: Uint32Array;
  readonly in1: Uint32Array;
  readonly out: Uint32Array;
  /** Number of AND gates. */
  readonly nAnd: number;
}

export function inputCount(c: Circuit): number {
  return c.inputs.reduce((a, b) => a + b, 0);
}

/**
 * Builds a circuit gate by gate. Wire handles are numbers; constants are
 * CONST0 and CONST1.
 */
export class CircuitBuilder {
  #kind: number[] = [];
  #in0: number[] = [];
  #in1: number[] = [];
  #out: number[] = [];
  #next = 2;
  #inputs: number[] = [];
  #inputsClosed = false;
  readonly #memo = new Map<number, number>();
  /** wire -> its negation's input, for wires that are INV outputs. */
  readonly #notOf = new Map<number, number>();

  /** Allocates the next input group of `bits` wires (before any gate). */
  input(bits: number): number[] {
    if (this.#inputsClosed) throw new Error('CircuitBuilder: inputs must come before gates');
    this.#inputs.push(bits);
    return Array.from({ length: bits }, () => this.#next++);
  }

  #gate(kind: number, a: number, b: number): number {
    this.#inputsClosed = true;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    // Key: kind and the ordered pair, packed exactly (wires < 2^26).
    const key = (kind * 67108864 + lo) * 67108864 + hi;
    const seen = this.#memo.get(key);
    if (seen !== undefined) return seen;
    const w = this.#next++;
    this.#kind.push(kind);
    this.#in0.push(lo);
    this.#in1.push(hi);
    this.#out.push(w);
    this.#memo.set(key, w);
    return w;
  }

  xor(a: number, b: number): number {
    if (a === b) return CONST0;
    if (a === CONST0) return b;
    if (b === CONST0) return a;
    if (a === CONST1) return this.not(b);
    if (b === CONST1) return this.not(a);
    // not(x) xor not(y) = x xor y; not(x) xor y = not(x xor y).
    const na = this.#notOf.get(a);
    const nb = this.#notOf.get(b);
    if (na !== undefined && nb !== undefined) return this.xor(na, nb);
    if (na !== undefined) return this.not(this.xor(na, b));
    if (nb !== undefined) return this.not(this.xor(a, nb));
    return this.#gate(XOR, a, b);
  }

  and(a: number, b: number): number {
    if (a === CONST0 || b === CONST0) return CONST0;
    if (a === CONST1) return b;
    if (b === CONST1) return a;
    if (a === b) return a;
    if (this.#notOf.get(a) === b || this.#notOf.get(b) === a) return CONST0;
    return this.#gate(AND, a, b);
  }

  not(a: number): number {
    if (a === CONST0) return CONST1;
    if (a === CONST1) return CONST0;
    const inner = this.#notOf.get(a);
    if (inner !== undefined) return inner;
    const w = this.#gate(INV, a, a);
    this.#notOf.set(w, a);
    return w;
  }

  or(a: number, b: number): number {
    // a or b = not(not a and not b): one AND.
    return this.not(this.and(this.not(a), this.not(b)));
  }

  /** s ? a : b = b xor (s and (a xor b)): one AND. */
  mux(s: number, a: number, b: number): number {
    return this.xor(b, this.and(s, this.xor(a, b)));
  }

  /** The circuit with these output groups. */
  build(outputs: ReadonlyArray<readonly number[]>): Circuit {
    return {
      nWires: this.#next,
      inputs: this.#inputs.slice(),
      outputs: Uint32Array.from(outputs.flat()),
      outputWidths: outputs.map((o) => o.length),
      kind: Uint8Array.from(this.#kind),
      in0: Uint32Array.from(this.#in0),
      in1: Uint32Array.from(this.#in1),
      out: Uint32Array.from(this.#out),
      nAnd: this.#kind.reduce((s, k) => s + (k === AND ? 1 : 0), 0),
    };
  }
}

/**
 * Evaluates a circuit in the clear on 32 instances at once: `inputs` holds
 * one 32-bit word per input wire (bit i = instance i). Returns one word per
 * output wire. For tests and reference results.
 */
export function evaluatePlain32(c: Circuit, inputs: Int32Array): Int32Array {
  const nIn = inputCount(c);
  if (inputs.length !== nIn)
    throw new RangeError(`evaluatePlain32: expected ${nIn} input words, got ${inputs.length}`);
  const v = new Int32Array(c.nWires);
  v[CONST1] = -1;
  v.set(inputs, 2);
  const { kind, in0, in1, out } = c;
  for (let g = 0; g < kind.length; g++) {
    const a = v[in0[g]!]!;
    const k = kind[g];
    v[out[g]!] = k === XOR ? a ^ v[in1[g]!]! : k === AND ? a & v[in1[g]!]! : ~a;
  }
  return Int32Array.from(c.outputs, (w) => v[w]!);
}

/** Evaluates one instance: input bits (0/1 per byte) to output bits. */
export function evaluatePlain(c: Circuit, bits: ArrayLike<number>): Uint8Array {
  const w = evaluatePlain32(
    c,
    Int32Array.from(bits, (b) => (b ? 1 : 0)),
  );
  return Uint8Array.from(w, (x) => x & 1);
}

/** A garbling order: see the module comment. */
export interface Schedule {
  /**
   * Steps in order: [start, end) ranges into `order`; `isAnd[s]` says
   * whether step s is a layer of AND gates (one hashing batch).
   */
  readonly stepStart: Uint32Array;
  readonly isAnd: Uint8Array;
  /** Gate indices in execution order. */
  readonly order: Uint32Array;
  /** Storage slot of each wire (slots 0 and 1 hold the constants). */
  readonly slot: Uint32Array;
  readonly nSlots: number;
  /** Slots of the input wires, in order. */
  readonly inputSlots: Uint32Array;
  /** Slots of the output wires, in order. */
  readonly outputSlots: Uint32Array;
}

const schedules = new WeakMap<Circuit, Schedule>();

/** The garbling schedule of a circuit (computed once per circuit object). */
export function schedule(c: Circuit): Schedule {
  const cached = schedules.get(c);
  if (cached) return cached;
  const { kind, in0, in1, out } = c;
  const nG = kind.length;
  // AND depth of every wire.
  const depth = new Uint32Array(c.nWires);
  let maxDepth = 0;
  const gDepth = new Uint32Array(nG);
  for (let g = 0; g < nG; g++) {
    const d0 = depth[in0[g]!]!;
    const d1 = depth[in1[g]!]!;
    const d = kind[g] === AND ? Math.max(d0, d1) + 1 : Math.max(d0, d1);
    depth[out[g]!] = d;
    gDepth[g] = d;
    if (d > maxDepth) maxDepth = d;
  }
  // Step 2L: linear gates of depth L; step 2L + 1: AND gates of depth L + 1.
  const nSteps = 2 * maxDepth + 1;
  const count = new Uint32Array(nSteps + 1);
  const stepOf = (g: number) => (kind[g] === AND ? 2 * gDepth[g]! - 1 : 2 * gDepth[g]!);
  for (let g = 0; g < nG; g++) count[stepOf(g) + 1]!++;
  for (let s = 0; s < nSteps; s++) count[s + 1] = count[s + 1]! + count[s]!;
  const stepStart = count.slice();
  const order = new Uint32Array(nG);
  const fill = count.slice(0, nSteps);
  for (let g = 0; g < nG; g++) order[fill[stepOf(g)]!++] = g;
  const isAnd = Uint8Array.from({ length: nSteps }, (_, s) => s & 1);
  // Liveness: last use of each wire in execution order; outputs live to the end.
  const lastUse = new Int32Array(c.nWires).fill(-1);
  for (let p = 0; p < nG; p++) {
    const g = order[p]!;
    lastUse[in0[g]!] = p;
    lastUse[in1[g]!] = p;
  }
  for (const w of c.outputs) lastUse[w] = nG;
  const slot = new Uint32Array(c.nWires);
  const free: number[] = [];
  let nSlots = 2;
  slot[CONST0] = 0;
  slot[CONST1] = 1;
  const nIn = inputCount(c);
  for (let w = 2; w < 2 + nIn; w++) slot[w] = nSlots++;
  // Within an AND layer every input is read before any output is written
  // (the batch hashes first), so a slot freed by a gate of the same layer
  // must not be reused in that layer: release frees at step boundaries.
  let pendingFree: number[] = [];
  for (let s = 0; s < nSteps; s++) {
    const andStep = isAnd[s] === 1;
    for (let p = stepStart[s]!; p < stepStart[s + 1]!; p++) {
      const g = order[p]!;
      const o = out[g]!;
      slot[o] = free.length > 0 ? free.pop()! : nSlots++;
      for (const w of kind[g] === INV ? [in0[g]!] : [in0[g]!, in1[g]!]) {
        if (w >= 2 && lastUse[w] === p) {
          if (andStep) pendingFree.push(slot[w]!);
          else free.push(slot[w]!);
          lastUse[w] = -2; // freed once even if both inputs are w
        }
      }
      if (o >= 2 && lastUse[o] === -1) {
        // Dead output (never used): its slot is reusable after this step.
        (andStep ? pendingFree : free).push(slot[o]!);
      }
    }
    for (const x of pendingFree) free.push(x);
    pendingFree = [];
  }
  const sched: Schedule = {
    stepStart,
    isAnd,
    order,
    slot,
    nSlots,
    inputSlots: Uint32Array.from({ length: nIn }, (_, i) => slot[2 + i]!),
    outputSlots: Uint32Array.from(c.outputs, (w) => slot[w]!),
  };
  schedules.set(c, sched);
  return sched;
}
