/**
 * The yao suite: two-party computation by garbled circuits (Yao 1986), for
 * two parties with no third to trust.
 *
 * Threat model: semi-honest (honest-but-curious) adversary corrupting one of
 * the two parties (dishonest majority: each party protects itself). Party 1
 * garbles, party 0 evaluates. A malicious garbler could garble a different
 * function; a malicious evaluator could abort after learning its output.
 * Channels: authenticated and private.
 *
 * Protocols: half-gates garbling with free-XOR and point-and-permute (ZRE 2015)
 * hashed with fixed-key AES (GKWY 2020), src/primitives/garble; the
 * evaluator's input labels by IKNP correlated OT (src/primitives/ot, without
 * the KOS check, which only matters against a malicious receiver): the
 * garbler's Delta is the OT extension's Delta, so the OT output q_i is the
 * zero-label of input bit i and the evaluator receives q_i xor b_i Delta
 * directly, with no hashing and no second message (as emp-toolkit does).
 *
 * How programs map onto circuits. Shares are lazy bit vectors
 * (src/suites/yao/wires.ts): additions, multiplications, comparisons and
 * the rest only build circuit pieces; `open` garbles and evaluates what the
 * opened values depend on, in about two rounds (evaluator inputs by OT, then
 * one stream of garbled tables). Integers are two's complement with a public
 * width that grows with each operation (sums one bit, products the sum of the
 * widths, capped at 64 bits, so values are exact modulo 2^64 like rep3).
 * Comparisons cost one subtraction's carry chain at the width of the public
 * bound, truncation by 2^m is free (it drops wires: floor division, exact),
 * bit decomposition is free.
 *
 * Leakage beyond the common list (docs/SUITES.md): none. Values are exact,
 * so the suite is also a correctness reference. Input widths: `input` takes
 * an optional width (64 by default); narrower declared widths make products
 * cheaper.
 */
import { CircuitBuilder, CONST0, type Circuit } from '../../primitives/circuits/circuit.js';
import * as int from '../../primitives/circuits/integer.js';
import { Evaluator, Garbler } from '../../primitives/garble/halfgates.js';
import { OtExtension } from '../../primitives/ot/extension.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';
import {
  checkBound,
  type Shares,
  type Suite,
  type SuiteFactory,
  type ThreatModel,
} from '../suite.js';
import {
  prune,
  Wire,
  WireFactory,
  type ApplyProducer,
  type Bit,
  type GatherProducer,
  type InputProducer,
  type Producer,
} from './wires.js';

/**
 * Roles by party index. The evaluator is party 0 because it receives the
 * bulk (32 bytes of table per AND gate) and party 0 is the side that dials
 * in the TLS transport, where Node reads into one reused buffer instead of
 * allocating per TLS record: about 40% less CPU to receive, about 10% more
 * AND gates per second end to end (docs/PERFORMANCE.md). Either way round is
 * equally secure.
 */
export const GARBLER = 1;
export const EVALUATOR = 0;

/** Shares: n integers as bit positions (least significant first, two's complement). */
export class YaoShares implements Shares {
  constructor(
    readonly length: number,
    readonly bits: readonly Bit[],
  ) {
    if (bits.length === 0 || bits.length > 64)
      throw new RangeError(`yao: width ${bits.length} outside 1..64`);
  }
  get width(): number {
    return this.bits.length;
  }
  /** Sign-extended (or truncated) to w positions. */
  at(w: number): Bit[] {
    const top = this.bits[this.bits.length - 1]!;
    return Array.from({ length: w }, (_, i) => (i < this.bits.length ? this.bits[i]! : top));
  }
  /** True when every element is 0 or 1 (a comparison result, a random bit). */
  get isBool(): boolean {
    return this.bits.length === 2 && this.bits[1] === 0;
  }
}

const MODEL: ThreatModel = {
  adversary: 'semi-honest',
  threshold: '1 of 2 (dishonest majority: no honest party needed besides oneself)',
  leaks: 'nothing beyond the outputs and the common list (sizes, widths, rounds)',
  references: [
    'Yao, "How to generate and exchange secrets", FOCS 1986',
    'Zahur, Rosulek, Evans, "Two halves make a whole", EUROCRYPT 2015 (half-gates)',
    'Guo, Katz, Wang, Yu, "Efficient and secure multiparty computation from fixed-key block ciphers", S&P 2020',
    'Ishai, Kilian, Nissim, Petrank, "Extending oblivious transfers efficiently", CRYPTO 2003',
    'Masny, Rindal, "Endemic oblivious transfer", CCS 2019 (base OT)',
  ],
};

/** Bytes per message of the garbler's stream (tables are sent as they are made). */
const STREAM_BYTES = 4 << 20;
/**
 * Flow control: the evaluator acknowledges every WINDOW-th message as it
 * takes it, and the garbler, after sending message k WINDOW, waits for the
 * acknowledgement of message (k - 1) WINDOW. So at most about 2 WINDOW
 * messages (64 MiB) are ever queued however large the circuit, and the
 * pipeline never drains: waiting for the acknowledgement of the window just
 * sent (as an earlier version did) left the evaluator idle while the garbler
 * garbled the next message, and the garbler idle while the evaluator caught up.
 */
const WINDOW = 8;

/**
 * The garbler's outgoing stream: parts are never split across messages.
 * Pushed parts are handed over (fresh arrays of tables and labels, never
 * modified afterwards), so large messages reach the transport uncopied.
 */
class StreamOut {
  #parts: Uint32Array[] = [];
  #words = 0;
  #sent = 0;
  constructor(readonly party: Party) {}
  async push(w: Uint32Array): Promise<void> {
    if (w.length === 0) return;
    this.#parts.push(w);
    this.#words += w.length;
    if (4 * this.#words >= STREAM_BYTES) await this.end();
  }
  async end(): Promise<void> {
    if (this.#words === 0) return;
    // One part (a chunk of tables) goes out as it is; several are joined.
    const first = this.#parts[0]!;
    let msg = new Uint8Array(first.buffer, first.byteOffset, 4 * first.length);
    if (this.#parts.length > 1) {
      msg = new Uint8Array(4 * this.#words);
      let off = 0;
      for (const p of this.#parts) {
        msg.set(new Uint8Array(p.buffer, p.byteOffset, 4 * p.length), off);
        off += 4 * p.length;
      }
    }
    this.#parts = [];
    this.#words = 0;
    const send = toParty(EVALUATOR, msg);
    await this.party.exchange({ op: 'yao.garbled', send, recvFrom: [], handOver: true });
    if (++this.#sent % WINDOW === 0) {
      let gone!: () => void;
      const sent = new Promise<void>((resolve) => (gone = resolve));
      const ack = this.party.exchange({
        op: 'yao.ack',
        send: [undefined, undefined],
        recvFrom: [EVALUATOR],
        afterSend: () => gone(),
      });
      // Awaited one window later (or by close()); a failure surfaces there.
      ack.catch(() => {});
      // The acknowledgement is a round of its own at the evaluator, so it must
      // be one here: go on only once it has been flushed (or has failed).
      await Promise.race([sent, ack]);
      const previous = this.#ack;
      this.#ack = ack;
      if (previous) await previous;
    }
  }
  /** Sends what is left and waits for the last acknowledgement due. */
  async close(): Promise<void> {
    await this.end();
    const last = this.#ack;
    this.#ack = undefined;
    if (last) await last;
  }
  #ack: Promise<unknown> | undefined;
}

/** The evaluator's incoming stream: takes parts in the order they were pushed. */
class StreamIn {
  #msg: Uint32Array = new Uint32Array(0);
  #off = 0;
  #received = 0;
  constructor(readonly party: Party) {}
  async take(words: number): Promise<Uint32Array> {
    if (words === 0) return new Uint32Array(0);
    if (this.#off === this.#msg.length) {
      const got = await this.party.exchange({
        op: 'yao.garbled',
        send: [undefined, undefined],
        recvFrom: [GARBLER],
      });
      const b = got[GARBLER]!;
      if (b.length % 4 !== 0) throw this.#bad(`a message of ${b.length} bytes`);
      this.#msg =
        b.byteOffset % 4 === 0
          ? new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2)
          : new Uint32Array(b.slice().buffer);
      this.#off = 0;
      if (++this.#received % WINDOW === 0)
        await this.party.exchange({
          op: 'yao.ack',
          send: toParty(GARBLER, new Uint8Array(0)),
          recvFrom: [],
        });
    }
    if (this.#off + words > this.#msg.length)
      throw this.#bad(`a part of ${words} words past the message end`);
    const out = this.#msg.subarray(this.#off, this.#off + words);
    this.#off += words;
    return out;
  }
  /** Every byte received must have been used. */
  finish(): void {
    if (this.#off !== this.#msg.length)
      throw this.#bad(`${this.#msg.length - this.#off} unused words`);
  }
  #bad(why: string): ProtocolAbort {
    return new ProtocolAbort('malformed', GARBLER, this.party.ids[GARBLER], `yao.garbled: ${why}`);
  }
}

function count(flags: readonly boolean[]): number {
  return flags.reduce((a, f) => a + (f ? 1 : 0), 0);
}

function bitOf(v: bigint, k: number): number {
  return Number((v >> BigInt(k)) & 1n);
}

/** A two-party send array with `body` for party j only. */
function toParty(j: number, body: Uint8Array): Array<Uint8Array | undefined> {
  const send: Array<Uint8Array | undefined> = [undefined, undefined];
  send[j] = body;
  return send;
}

/** Smallest two's-complement width holding v. */
function widthOf(v: bigint): number {
  const m = v < 0n ? -v - 1n : v;
  return m === 0n ? 1 : m.toString(2).length + 1;
}

export class YaoSuite implements Suite<YaoShares> {
  readonly name = 'yao';
  readonly model = MODEL;
  readonly capacity = 64;
  readonly compareCapacity = 64;
  readonly #f = new WireFactory();
  #ot: OtExtension | undefined;
  #garbler: Garbler | undefined;
  #evaluator: Evaluator | undefined;
  #delta: Uint32Array | undefined;
  /** Flushes run one at a time, in call order (both parties call open in the same order). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly party: Party) {
    if (party.n !== 2) throw new RangeError(`yao: expected 2 parties, got ${party.n}`);
  }

  get role(): 'garbler' | 'evaluator' {
    return this.party.index === GARBLER ? 'garbler' : 'evaluator';
  }

  /** Base OTs for the evaluator's inputs; the garbler's Delta is the OT's. */
  async setup(): Promise<void> {
    this.#ot = await OtExtension.create(this.party, GARBLER, EVALUATOR, {
      check: false,
      deltaLsbOne: true,
    });
    if (this.party.index === GARBLER) {
      const d = this.#ot.delta!;
      this.#delta = new Uint32Array(d.slice().buffer);
      this.#garbler = new Garbler(this.party.crypto, d);
    } else {
      this.#evaluator = new Evaluator(this.party.crypto);
    }
  }

  // ------------------------------------------------------------ local ops

  /** Labels of n public bits: active label 0; the garbler's zero-label is b Delta. */
  #publicWire(bits: Uint8Array): Wire {
    const n = bits.length;
    const labels = new Uint32Array(4 * n);
    const d = this.#delta;
    if (d) {
      for (let i = 0; i < n; i++) {
        if (!bits[i]) continue;
        labels.set(d, 4 * i);
      }
    }
    return this.#f.ready(n, labels);
  }

  #constantBits(values: readonly bigint[]): Bit[] {
    let w = 1;
    for (const v of values) w = Math.max(w, widthOf(v));
    w = Math.min(64, w);
    const bits: Bit[] = [];
    for (let k = 0; k < w; k++) {
      const b0 = values.length > 0 ? bitOf(values[0]!, k) : 0;
      if (values.every((v) => bitOf(v, k) === b0)) bits.push(b0 as 0 | 1);
      else bits.push(this.#publicWire(Uint8Array.from(values, (v) => bitOf(v, k))));
    }
    return bits;
  }

  constant(values: BigInt64Array): YaoShares {
    return new YaoShares(values.length, this.#constantBits(Array.from(values)));
  }

  #broadcastConst(c: BigInt64Array, n: number, op: string): YaoShares {
    if (c.length !== 1 && c.length !== n)
      throw new RangeError(`yao.${op}: expected ${n} constants (or 1), got ${c.length}`);
    if (c.length === 1) return new YaoShares(n, this.#constantBits([c[0]!]));
    return this.constant(c);
  }

  #binary(
    op: string,
    a: YaoShares,
    b: YaoShares,
    w: number,
    gen: (bd: CircuitBuilder, x: number[], y: number[]) => number[],
  ): YaoShares {
    if (a.length !== b.length)
      throw new RangeError(`yao.${op}: lengths differ (${a.length} and ${b.length})`);
    const [out] = this.#f.apply(`${op}/${w}`, a.length, [a.bits, b.bits], (bd, [x, y]) => [
      gen(bd, x!, y!),
    ]);
    return new YaoShares(a.length, out!);
  }

  add(a: YaoShares, b: YaoShares): YaoShares {
    const w = Math.min(64, Math.max(a.width, b.width) + 1);
    return this.#binary('add', a, b, w, (bd, x, y) => int.add(bd, x, y, w));
  }
  sub(a: YaoShares, b: YaoShares): YaoShares {
    const w = Math.min(64, Math.max(a.width, b.width) + 1);
    return this.#binary('sub', a, b, w, (bd, x, y) => int.sub(bd, x, y, w));
  }
  neg(a: YaoShares): YaoShares {
    const w = Math.min(64, a.width + 1);
    const [out] = this.#f.apply(`neg/${w}`, a.length, [a.bits], (bd, [x]) => [int.neg(bd, x!, w)]);
    return new YaoShares(a.length, out!);
  }
  addPublic(a: YaoShares, c: BigInt64Array): YaoShares {
    return this.add(a, this.#broadcastConst(c, a.length, 'addPublic'));
  }
  mulPublic(a: YaoShares, c: BigInt64Array): YaoShares {
    return this.#mulLocal(a, this.#broadcastConst(c, a.length, 'mulPublic'));
  }
  mulScalar(a: YaoShares, c: bigint): YaoShares {
    return this.#mulLocal(a, new YaoShares(a.length, this.#constantBits([BigInt.asIntN(64, c)])));
  }

  /** The product as a circuit; a factor known to be 0/1 costs one AND per bit. */
  #mulLocal(a: YaoShares, b: YaoShares): YaoShares {
    if (a.length !== b.length)
      throw new RangeError(`yao.mul: lengths differ (${a.length} and ${b.length})`);
    if (b.isBool && !a.isBool) [a, b] = [b, a];
    if (a.isBool) {
      const c = a.bits[0]!;
      const [out] = this.#f.apply('mulbit', a.length, [[c], b.bits], (bd, [s, y]) => [
        y!.map((v) => bd.and(s![0]!, v)),
      ]);
      return new YaoShares(a.length, out!);
    }
    const w = Math.min(64, a.width + b.width);
    return this.#binary('mul', a, b, w, (bd, x, y) => int.mul(bd, x, y, w));
  }

  gather(a: YaoShares, idx: Uint32Array): YaoShares {
    for (let i = 0; i < idx.length; i++)
      if (idx[i]! >= a.length)
        throw new RangeError(`gather: index ${idx[i]} out of range (length ${a.length})`);
    const bits = a.bits.map((b) =>
      typeof b === 'number' ? b : this.#f.gather([{ bit: b, n: a.length }], idx),
    );
    return new YaoShares(idx.length, bits);
  }

  concat(parts: readonly YaoShares[]): YaoShares {
    const n = parts.reduce((s, p) => s + p.length, 0);
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 0 || n === 0) return new YaoShares(n, [0]);
    const w = Math.max(...parts.map((p) => p.width));
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    const cols = parts.map((p) => p.at(w));
    const bits = Array.from({ length: w }, (_, k) =>
      this.#f.gather(
        parts.map((p, j) => ({ bit: cols[j]![k]!, n: p.length })),
        idx,
      ),
    );
    return new YaoShares(n, bits);
  }

  sumGroups(a: YaoShares, m: number): YaoShares {
    if (!Number.isInteger(m) || m < 1 || a.length % m !== 0)
      throw new RangeError(`yao.sumGroups: ${a.length} elements do not split into groups of ${m}`);
    let x = a;
    const groups = a.length / m;
    // Pairwise tree: group size m -> ceil(m / 2) per level, one adder each.
    while (m > 1) {
      const half = m >> 1;
      const left = new Uint32Array(groups * half);
      const right = new Uint32Array(groups * half);
      for (let g = 0; g < groups; g++)
        for (let j = 0; j < half; j++) {
          left[g * half + j] = g * m + 2 * j;
          right[g * half + j] = g * m + 2 * j + 1;
        }
      const sums = this.add(this.gather(x, left), this.gather(x, right));
      if (m & 1) {
        const odd = this.gather(
          x,
          Uint32Array.from({ length: groups }, (_, g) => g * m + m - 1),
        );
        const next = half + 1;
        const idx = new Uint32Array(groups * next);
        for (let g = 0; g < groups; g++) {
          for (let j = 0; j < half; j++) idx[g * next + j] = g * half + j;
          idx[g * next + half] = groups * half + g;
        }
        x = this.gather(this.concat([sums, odd]), idx);
        m = next;
      } else {
        x = sums;
        m = half;
      }
    }
    return x;
  }

  random(n: number): YaoShares {
    // Each party contributes uniform 64-bit values; their XOR is uniform if either is.
    const mine = this.party.prg.words(n);
    const a = this.#f.input(
      GARBLER,
      n,
      64,
      this.party.index === GARBLER ? new BigInt64Array(mine.buffer) : undefined,
    );
    const b = this.#f.input(
      EVALUATOR,
      n,
      64,
      this.party.index === EVALUATOR ? new BigInt64Array(mine.buffer) : undefined,
    );
    const [out] = this.#f.apply('xor64', n, [a, b], (bd, [x, y]) => [
      x!.map((v, k) => bd.xor(v, y![k]!)),
    ]);
    return new YaoShares(n, out!);
  }

  // ------------------------------------------------------------ "interactive" ops (lazy until open)

  /**
   * Shares `values` of party `owner`. `bits` (default 64) is the public
   * width: values must fit it as signed integers.
   * @throws {RangeError} on a length mismatch or a value outside the width.
   */
  async input(
    owner: number,
    values: BigInt64Array | undefined,
    n: number,
    bits = 64,
  ): Promise<YaoShares> {
    if (owner !== GARBLER && owner !== EVALUATOR)
      throw new RangeError(`yao.input: no party ${owner}`);
    if (!Number.isInteger(bits) || bits < 1 || bits > 64)
      throw new RangeError(`yao.input: width ${bits} outside 1..64`);
    let vals: BigInt64Array | undefined;
    if (this.party.index === owner) {
      if (!values || values.length !== n)
        throw new RangeError(`yao.input: expected ${n} values, got ${values?.length ?? 'none'}`);
      for (let i = 0; i < n; i++)
        if (BigInt.asIntN(bits, values[i]!) !== values[i])
          throw new RangeError(`yao.input: element ${i} does not fit ${bits} bits`);
      vals = values.slice();
    }
    this.party.stats.count('input', n);
    return new YaoShares(n, this.#f.input(owner, n, bits, vals));
  }

  async mul(a: YaoShares, b: YaoShares): Promise<YaoShares> {
    this.party.stats.count('mul', a.length);
    return this.#mulLocal(a, b);
  }

  async dot(a: YaoShares, b: YaoShares, m: number): Promise<YaoShares> {
    this.party.stats.count('dot', a.length);
    return this.sumGroups(this.#mulLocal(a, b), m);
  }

  /** floor(x / 2^m): drops m wires (exact, free). */
  async trunc(a: YaoShares, m: number, bound: number): Promise<YaoShares> {
    checkBound(this, 'trunc', bound);
    if (!Number.isInteger(m) || m < 0) throw new RangeError(`yao.trunc: bad shift ${m}`);
    const w = a.width;
    return new YaoShares(a.length, m >= w ? [a.bits[w - 1]!] : a.bits.slice(m));
  }

  /** The sign bit at the bound's width: free. */
  async ltz(a: YaoShares, bound: number): Promise<YaoShares> {
    checkBound(this, 'ltz', bound);
    return new YaoShares(a.length, [a.bits[Math.min(bound, a.width) - 1]!, 0]);
  }

  async eqz(a: YaoShares, bound: number): Promise<YaoShares> {
    checkBound(this, 'eqz', bound);
    const low = a.bits.slice(0, Math.min(bound, a.width));
    const [out] = this.#f.apply('eqz', a.length, [low], (bd, [x]) => [
      [int.isZero(bd, x!), CONST0],
    ]);
    return new YaoShares(a.length, out!);
  }

  async bits(a: YaoShares, bits: number): Promise<YaoShares> {
    checkBound(this, 'bits', bits);
    const n = a.length;
    const col = a.at(bits);
    // Element i * bits + j is bit j of x_i: one gather over the bit columns.
    const idx = new Uint32Array(n * bits);
    for (let i = 0; i < n; i++) for (let j = 0; j < bits; j++) idx[i * bits + j] = j * n + i;
    const wire = this.#f.gather(
      col.map((bit) => ({ bit, n })),
      idx,
    );
    return new YaoShares(n * bits, [wire, 0]);
  }

  async randomBits(n: number): Promise<YaoShares> {
    const mine = this.party.prg.bytes(n).map((x) => x & 1);
    const v = (mine: Uint8Array) => BigInt64Array.from(mine, (x) => BigInt(x));
    const a = this.#f.input(GARBLER, n, 1, this.party.index === GARBLER ? v(mine) : undefined);
    const b = this.#f.input(EVALUATOR, n, 1, this.party.index === EVALUATOR ? v(mine) : undefined);
    const [out] = this.#f.apply('xorbit', n, [a, b], (bd, [x, y]) => [
      [bd.xor(x![0]!, y![0]!), CONST0],
    ]);
    return new YaoShares(n, out!);
  }

  /**
   * Garbles and evaluates what `a` depends on, then decodes for the parties
   * in `to`. Rounds: the evaluator's pending inputs (one OT message), the
   * garbled stream, and the evaluator's output bits if the garbler receives.
   */
  async open(a: YaoShares, to: readonly number[]): Promise<bigint[] | undefined> {
    for (const t of to)
      if (t !== GARBLER && t !== EVALUATOR) throw new RangeError(`yao.open: no party ${t}`);
    const run = this.#queue.then(() => this.#open(a, to));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #open(a: YaoShares, to: readonly number[]): Promise<bigint[] | undefined> {
    const wires = a.bits.filter((b): b is Wire => typeof b !== 'number');
    const bits = await this.#openWires(wires, a.length, to);
    if (!bits) return undefined;
    const n = a.length;
    const w = a.width;
    const result: bigint[] = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      let v = 0n;
      for (let j = 0, k = 0; j < w; j++) {
        const b = a.bits[j]!;
        const bit = typeof b === 'number' ? b : bits[k++]![i]!;
        if (bit) v |= 1n << BigInt(j);
      }
      result[i] = BigInt.asIntN(64, BigInt.asIntN(w, v));
    }
    return result;
  }

  /**
   * Runs a ready-made circuit (for example a Bristol Fashion one) on n
   * instances in one flush: input group k belongs to party owners[k], which
   * passes its bits (bit j of instance i at j n + i, one per byte); the
   * others pass undefined. Returns the output bits (wire j of instance i at
   * j n + i) to the parties in `to`, undefined elsewhere.
   * @example
   *   const ct = await yao.runCircuit(aes, 1, [GARBLER, EVALUATOR], [keyBits, undefined], [EVALUATOR]);
   * @throws {RangeError} on mismatched groups or bit counts.
   */
  async runCircuit(
    c: Circuit,
    n: number,
    owners: readonly number[],
    bits: ReadonlyArray<Uint8Array | undefined>,
    to: readonly number[],
  ): Promise<Uint8Array | undefined> {
    if (owners.length !== c.inputs.length)
      throw new RangeError(
        `yao.runCircuit: ${owners.length} owners for ${c.inputs.length} input groups`,
      );
    const inputs: Wire[] = [];
    c.inputs.forEach((width, k) => {
      const mine = owners[k] === this.party.index;
      const b = bits[k];
      if (mine && (!b || b.length !== width * n))
        throw new RangeError(
          `yao.runCircuit: group ${k} needs ${width * n} bits, got ${b?.length ?? 'none'}`,
        );
      inputs.push(...this.#f.inputBits(owners[k]!, n, width, mine ? b!.slice() : undefined));
    });
    const outs = this.#f.applyCircuit(c, n, inputs);
    const run = this.#queue.then(() => this.#openWires(outs, n, to));
    this.#queue = run.catch(() => undefined);
    const got = await run;
    if (!got) return undefined;
    const flat = new Uint8Array(outs.length * n);
    got.forEach((b, k) => flat.set(b, k * n));
    return flat;
  }

  /** Flushes and decodes wires of n elements for the parties in `to`. */
  async #openWires(
    wires: readonly Wire[],
    n: number,
    to: readonly number[],
  ): Promise<Uint8Array[] | undefined> {
    const me = this.party.index;
    const toE = to.includes(EVALUATOR);
    const toG = to.includes(GARBLER);
    // Decoding bits: the garbler's permute bits (lsb of zero-labels) and the
    // evaluator's colour bits (lsb of active labels); a bit is their xor.
    const lsb = (w: Wire) => {
      const out = new Uint8Array(n);
      const l = w.labels!;
      for (let i = 0; i < n; i++) out[i] = l[4 * i]! & 1;
      return out;
    };
    const pack = (bits: Uint8Array[]) => {
      const words = new Uint32Array(Math.ceil((bits.length * n) / 32));
      bits.forEach((b, k) => {
        for (let i = 0; i < n; i++) {
          const j = k * n + i;
          words[j >>> 5] = words[j >>> 5]! | (b[i]! << (j & 31));
        }
      });
      return words;
    };
    const nWords = Math.ceil((wires.length * n) / 32);
    let other: Uint32Array | undefined; // the peer's decoding bits
    if (me === GARBLER) {
      const out = new StreamOut(this.party);
      await this.#flushGarbler(wires, out);
      if (toE) await out.push(pack(wires.map(lsb)));
      await out.close();
      if (toG) {
        const got = await this.party.exchange({
          op: 'yao.output',
          send: [undefined, undefined],
          recvFrom: [EVALUATOR],
        });
        other = this.#words(got[EVALUATOR]!, nWords, EVALUATOR);
      }
    } else {
      const inp = new StreamIn(this.party);
      await this.#flushEvaluator(wires, inp);
      if (toE) other = await inp.take(nWords);
      inp.finish();
      if (toG) {
        const bits = new Uint8Array(pack(wires.map(lsb)).buffer);
        await this.party.exchange({ op: 'yao.output', send: toParty(GARBLER, bits), recvFrom: [] });
      }
    }
    if (!to.includes(me)) return undefined;
    return wires.map((w, k) => {
      const mine = lsb(w);
      for (let i = 0; i < n; i++) {
        const j = k * n + i;
        mine[i] = mine[i]! ^ ((other![j >>> 5]! >>> (j & 31)) & 1);
      }
      return mine;
    });
  }

  #words(b: Uint8Array, words: number, peer: number): Uint32Array {
    if (b.length !== 4 * words)
      throw new ProtocolAbort(
        'malformed',
        peer,
        this.party.ids[peer],
        `yao.output: expected ${4 * words} bytes, got ${b.length}`,
      );
    return b.byteOffset % 4 === 0
      ? new Uint32Array(b.buffer, b.byteOffset, words)
      : new Uint32Array(b.slice().buffer);
  }

  // ------------------------------------------------------------ flushing

  /**
   * The pending producers the roots depend on, in creation order, with the
   * outputs each must compute (pruning what nobody needs).
   */
  #plan(roots: readonly Wire[]): Array<{ p: Producer; need: boolean[] }> {
    const producers = new Map<number, Producer>();
    const stack = roots.filter((w) => !w.labels);
    const seen = new Set<Wire>();
    while (stack.length > 0) {
      const w = stack.pop()!;
      if (seen.has(w) || w.labels) continue;
      seen.add(w);
      const p = w.producer!;
      if (producers.has(p.id)) continue;
      producers.set(p.id, p);
      const ins: Wire[] =
        p.kind === 'apply'
          ? p.inputs
          : p.kind === 'gather'
            ? p.sources.flatMap((s) => (typeof s.bit === 'number' ? [] : [s.bit]))
            : [];
      for (const x of ins) if (!x.labels) stack.push(x);
    }
    const needed = new Set<Wire>(roots);
    const order = [...producers.values()].sort((x, y) => y.id - x.id);
    const plan: Array<{ p: Producer; need: boolean[] }> = [];
    for (const p of order) {
      const need = p.outputs.map((w) => !w.labels && needed.has(w));
      if (!need.some((x) => x)) continue;
      if (p.kind === 'apply') {
        const pr = prune(p.circuit, need);
        for (const i of pr.inputs) needed.add(p.inputs[i]!);
      } else if (p.kind === 'gather') {
        for (const s of p.sources) if (typeof s.bit !== 'number') needed.add(s.bit);
      }
      plan.push({ p, need });
    }
    return plan.reverse();
  }

  async #flushGarbler(roots: readonly Wire[], out: StreamOut): Promise<void> {
    const plan = this.#plan(roots);
    const inputs = plan.filter(
      (x): x is { p: InputProducer; need: boolean[] } => x.p.kind === 'input',
    );
    const d = this.#delta!;
    // Evaluator inputs: zero-labels are the OT sender's q (one message from the evaluator).
    // Only the input bits something needs are transferred (a comparison of
    // 64-bit-wide values within 33 bits reads 33 of them); the rest wait.
    const eIn = inputs.filter((x) => x.p.owner === EVALUATOR);
    const eBits = eIn.reduce((s, x) => s + x.p.n * count(x.need), 0);
    if (eBits > 0) {
      const r = await this.#ot!.correlatedRaw(eBits);
      if (r.role !== 'sender') throw new Error('yao: OT roles are inverted');
      const q = new Uint32Array(r.q.buffer, r.q.byteOffset, r.q.length >>> 2);
      let off = 0;
      for (const { p, need } of eIn) {
        p.outputs.forEach((w, k) => {
          if (!need[k]) return;
          w.labels = q.slice(4 * off, 4 * (off + p.n));
          off += p.n;
        });
        this.#done(p);
      }
    }
    // Garbler inputs: random zero-labels; the evaluator gets the active ones.
    for (const { p, need } of inputs.filter((x) => x.p.owner === GARBLER)) {
      const vals = p.bits!;
      for (let k = 0; k < p.outputs.length; k++) {
        if (!need[k]) continue;
        const zero = new Uint32Array(this.party.prg.bytes(16 * p.n).buffer);
        const active = zero.slice();
        for (let i = 0; i < p.n; i++) {
          if (vals[k * p.n + i])
            for (let t = 0; t < 4; t++) active[4 * i + t] = active[4 * i + t]! ^ d[t]!;
        }
        p.outputs[k]!.labels = zero;
        await out.push(active);
      }
      this.#done(p);
    }
    const g = this.#garbler!;
    for (const { p, need } of plan) {
      if (p.kind === 'apply') {
        const pr = prune(p.circuit, need);
        const ins = pr.inputs.map((i) => p.inputs[i]!.labels!);
        const outs = await g.garble(pr.circuit, p.n, ins, (t) => out.push(t));
        pr.outputs.forEach((k, j) => (p.outputs[k]!.labels = outs[j]!));
        this.#done(p);
      } else if (p.kind === 'gather') {
        this.#runGather(p);
      }
    }
  }

  async #flushEvaluator(roots: readonly Wire[], inp: StreamIn): Promise<void> {
    const plan = this.#plan(roots);
    const inputs = plan.filter(
      (x): x is { p: InputProducer; need: boolean[] } => x.p.kind === 'input',
    );
    const eIn = inputs.filter((x) => x.p.owner === EVALUATOR);
    const eBits = eIn.reduce((s, x) => s + x.p.n * count(x.need), 0);
    if (eBits > 0) {
      const choices = new Uint8Array(eBits);
      let off = 0;
      for (const { p, need } of eIn)
        for (let k = 0; k < p.outputs.length; k++) {
          if (!need[k]) continue;
          choices.set(p.bits!.subarray(k * p.n, (k + 1) * p.n), off);
          off += p.n;
        }
      const r = await this.#ot!.correlatedRaw(eBits, choices);
      if (r.role !== 'receiver') throw new Error('yao: OT roles are inverted');
      const t = new Uint32Array(r.m.buffer, r.m.byteOffset, r.m.length >>> 2);
      off = 0;
      for (const { p, need } of eIn) {
        p.outputs.forEach((w, k) => {
          if (!need[k]) return;
          w.labels = t.slice(4 * off, 4 * (off + p.n));
          off += p.n;
        });
        this.#done(p);
      }
    }
    for (const { p, need } of inputs.filter((x) => x.p.owner === GARBLER)) {
      for (let k = 0; k < p.outputs.length; k++)
        if (need[k]) p.outputs[k]!.labels = (await inp.take(4 * p.n)).slice();
      this.#done(p);
    }
    const e = this.#evaluator!;
    for (const { p, need } of plan) {
      if (p.kind === 'apply') {
        const pr = prune(p.circuit, need);
        const ins = pr.inputs.map((i) => p.inputs[i]!.labels!);
        const outs = await e.evaluate(pr.circuit, p.n, ins, (words) => inp.take(words));
        pr.outputs.forEach((k, j) => (p.outputs[k]!.labels = outs[j]!));
        this.#done(p);
      } else if (p.kind === 'gather') {
        this.#runGather(p);
      }
    }
  }

  /** Drops a producer's references once all its outputs have labels. */
  #done(p: Producer): void {
    if (!p.outputs.every((w) => w.labels)) return;
    for (const w of p.outputs) w.producer = undefined;
    if (p.kind === 'input') p.bits = undefined;
    if (p.kind === 'apply') p.inputs = [];
    if (p.kind === 'gather') p.sources = [];
  }

  #runGather(p: GatherProducer): void {
    const total = p.sources.reduce((a, s) => a + s.n, 0);
    const src = new Uint32Array(4 * total);
    let off = 0;
    for (const s of p.sources) {
      if (typeof s.bit === 'number') {
        if (s.bit && this.#delta) for (let i = 0; i < s.n; i++) src.set(this.#delta, 4 * (off + i));
      } else {
        src.set(s.bit.labels!, 4 * off);
      }
      off += s.n;
    }
    const out = new Uint32Array(4 * p.idx.length);
    for (let i = 0; i < p.idx.length; i++) {
      const j = 4 * p.idx[i]!;
      out[4 * i] = src[j]!;
      out[4 * i + 1] = src[j + 1]!;
      out[4 * i + 2] = src[j + 2]!;
      out[4 * i + 3] = src[j + 3]!;
    }
    p.outputs[0].labels = out;
    this.#done(p);
  }
}

export const yaoSuite: SuiteFactory = {
  name: 'yao',
  minParties: 2,
  maxParties: 2,
  create: (party) => new YaoSuite(party),
};

export type { ApplyProducer };
