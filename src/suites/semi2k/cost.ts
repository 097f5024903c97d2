/**
 * How much preprocessing material each operation of the dishonest-majority
 * suites consumes, so a program's needs can be reported before it runs.
 *
 * The tables mirror the protocols exactly (tests check that a run consumes
 * what a dry run counted): a dry run executes the program under the
 * plaintext suite wrapped in a counter (`countMaterial`), which charges every
 * primitive call its cost here. Control flow that depends on revealed values
 * is followed as the plaintext run takes it.
 */
import type { Party } from '../../runtime/party.js';
import { PlaintextSuite, type ClearValues } from '../plaintext/plaintext.js';
import type { Suite, SuiteFactory } from '../suite.js';
import type { Counts } from './material.js';
import { carryAnds, lessThanAnds } from './mixed.js';

/** The primitive calls that consume material, with their arguments. */
export type CostedOp =
  | { op: 'mul' | 'dot' | 'randomBits'; n: number }
  | { op: 'input'; n: number; owner: number }
  | { op: 'open'; n: number; to: readonly number[] }
  | { op: 'ltz' | 'eqz' | 'bits'; n: number; bound: number }
  | { op: 'trunc'; n: number; m: number; bound: number };

/** A suite's cost table. */
export type CostTable = (c: CostedOp, parties: number) => Counts;

const words = (n: number) => Math.ceil(n / 64);

/** Adds counts into `into`. */
export function addCounts(into: Counts, c: Counts): Counts {
  for (const [k, v] of Object.entries(c)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/**
 * semi2k: 'triple' (Z_2^64 Beaver triples), 'bitTriple' (words of 64 AND
 * triples), 'daBit'. Comparisons use one bit-sliced AND per gate and word of
 * ceil(n / 64).
 */
export const semi2kCost: CostTable = (c) => {
  const n = c.n;
  if (n === 0) return {};
  switch (c.op) {
    case 'mul':
    case 'dot':
      return { triple: n };
    case 'randomBits':
      return { daBit: n };
    case 'input':
    case 'open':
      return {};
    case 'ltz':
      if (c.bound <= 1) return {};
      return { daBit: n * c.bound + n, bitTriple: lessThanAnds(c.bound - 1) * words(n) };
    case 'eqz':
      if (c.bound <= 1) return {};
      return { daBit: n * c.bound + n, bitTriple: (c.bound - 1) * words(n) };
    case 'bits':
      return { daBit: 2 * n * c.bound, bitTriple: carryAnds(c.bound) * words(n) };
    case 'trunc': {
      if (c.m === 0) return {};
      if (c.bound >= 64) {
        const sign = semi2kCost({ op: 'ltz', n, bound: 64 }, 0);
        return c.m >= 63 ? sign : addCounts({ ...sign }, { daBit: 64 * n });
      }
      return c.m >= 63 ? {} : { daBit: 64 * n };
    }
  }
};

/**
 * The plaintext suite, charging every call to a cost table. Results are
 * exact (plaintext semantics), so the program's control flow matches a real
 * run whenever it depends only on revealed values.
 */
export class CountingSuite implements Suite<ClearValues> {
  readonly #inner: PlaintextSuite;
  readonly #table: CostTable;
  readonly counts: Counts = {};
  readonly name: string;

  constructor(party: Party, name: string, table: CostTable) {
    this.#inner = new PlaintextSuite(party);
    this.#table = table;
    this.name = `${name}-count`;
  }
  get model() {
    return this.#inner.model;
  }
  get party() {
    return this.#inner.party;
  }
  get capacity() {
    return this.#inner.capacity;
  }
  get compareCapacity() {
    return this.#inner.compareCapacity;
  }
  #charge(c: CostedOp): void {
    addCounts(this.counts, this.#table(c, this.#inner.party.n));
  }
  constant(v: BigInt64Array) {
    return this.#inner.constant(v);
  }
  add(a: ClearValues, b: ClearValues) {
    return this.#inner.add(a, b);
  }
  sub(a: ClearValues, b: ClearValues) {
    return this.#inner.sub(a, b);
  }
  neg(a: ClearValues) {
    return this.#inner.neg(a);
  }
  addPublic(a: ClearValues, c: BigInt64Array) {
    return this.#inner.addPublic(a, c);
  }
  mulPublic(a: ClearValues, c: BigInt64Array) {
    return this.#inner.mulPublic(a, c);
  }
  mulScalar(a: ClearValues, c: bigint) {
    return this.#inner.mulScalar(a, c);
  }
  gather(a: ClearValues, idx: Uint32Array) {
    return this.#inner.gather(a, idx);
  }
  concat(parts: readonly ClearValues[]) {
    return this.#inner.concat(parts);
  }
  sumGroups(a: ClearValues, m: number) {
    return this.#inner.sumGroups(a, m);
  }
  random(n: number) {
    return this.#inner.random(n);
  }
  setup() {
    return this.#inner.setup();
  }
  input(owner: number, values: BigInt64Array | undefined, n: number) {
    this.#charge({ op: 'input', n, owner });
    return this.#inner.input(owner, values, n);
  }
  mul(a: ClearValues, b: ClearValues) {
    this.#charge({ op: 'mul', n: a.length });
    return this.#inner.mul(a, b);
  }
  dot(a: ClearValues, b: ClearValues, m: number) {
    this.#charge({ op: 'dot', n: a.length });
    return this.#inner.dot(a, b, m);
  }
  open(a: ClearValues, to: readonly number[]) {
    this.#charge({ op: 'open', n: a.length, to });
    return this.#inner.open(a, to);
  }
  trunc(a: ClearValues, m: number, bound: number) {
    this.#charge({ op: 'trunc', n: a.length, m, bound });
    return this.#inner.trunc(a, m, bound);
  }
  ltz(a: ClearValues, bound: number) {
    this.#charge({ op: 'ltz', n: a.length, bound });
    return this.#inner.ltz(a, bound);
  }
  eqz(a: ClearValues, bound: number) {
    this.#charge({ op: 'eqz', n: a.length, bound });
    return this.#inner.eqz(a, bound);
  }
  bits(a: ClearValues, bits: number) {
    this.#charge({ op: 'bits', n: a.length, bound: bits });
    return this.#inner.bits(a, bits);
  }
  randomBits(n: number) {
    this.#charge({ op: 'randomBits', n });
    return this.#inner.randomBits(n);
  }
}

/**
 * Dry run: a suite factory that runs programs in the clear while counting the
 * material each party would consume under a suite with cost table `table`.
 * Run the program with it (e.g. runLocal), then read `counts()`.
 *
 * @example
 *   const dry = countingSuite('semi2k', semi2kCost);
 *   await runLocal(program, { suite: dry.factory, parties: 2 });
 *   dry.counts()[0]; // { triple: 1000, daBit: 6600, bitTriple: 80 }
 */
export function countingSuite(
  name: string,
  table: CostTable,
): { factory: SuiteFactory; counts(): Counts[] } {
  const suites: CountingSuite[] = [];
  const factory: SuiteFactory = {
    name: `${name}-count`,
    minParties: 1,
    maxParties: 1 << 16,
    create: (party) => {
      const s = new CountingSuite(party, name, table);
      suites[party.index] = s;
      return s;
    },
  };
  return { factory, counts: () => suites.map((s) => ({ ...s.counts })) };
}
