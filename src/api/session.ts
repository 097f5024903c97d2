/**
 * The session: one party's handle on a computation. A program receives it
 * and uses it to input data, build constants and reach the suite; there is no
 * global state, so any number of sessions can run in one process.
 */
import { SecretMisuseError } from '../runtime/errors.js';
import type { Party } from '../runtime/party.js';
import type { StatsSnapshot } from '../runtime/stats.js';
import type { Shares, Suite } from '../suites/suite.js';
import { shuffle, sortBy, type SortMethod } from '../ops/sort.js';
import { SecretBool, SecretFixed, SecretInt, type Secret, type SessionCore } from './secret.js';
import {
  encode,
  int,
  typeName,
  type BoolType,
  type FixedType,
  type IntType,
  type PlainValue,
  type SecretType,
} from './types.js';

/** Values for `input`: the owner passes the data, others pass the public length (or shape). */
export type InputData = ArrayLike<PlainValue> | number | readonly number[];

type SecretOf<T extends SecretType> = T extends IntType
  ? SecretInt
  : T extends FixedType
    ? SecretFixed
    : SecretBool;

let sessionCounter = 0;

export class Session implements SessionCore {
  readonly id: string;

  /** The session this one is a channel of (itself for a top-level session). */
  readonly root: Session;

  constructor(
    readonly suite: Suite,
    /** @internal */ readonly party: Party,
    root?: Session,
  ) {
    this.id = `${party.id}#${++sessionCounter}`;
    this.root = root ?? this;
  }

  /** This session's channel key ('' for a top-level session). */
  get channelKey(): string {
    return this.party.channelKey;
  }

  /**
   * A sub-session on channel `name` of this one: its exchanges are matched
   * apart from every other channel's, and it has correlated randomness of its
   * own, so independent parts of a program (analyses of a study, protocol
   * instances) can run concurrently in one session and share rounds. Every
   * party must open the same channels with the same names (derived from the
   * program, e.g. 'analysis/3'), at the same point of its program. Secrets
   * pass between the two with `adopt`. Its `stats()` count its own rounds,
   * messages and bytes; they also count in this session's.
   * @throws {RangeError} when the suite cannot run on channels, or for a bad name.
   */
  async channel(name: string): Promise<Session> {
    const fork = this.suite.fork;
    if (!fork) throw new RangeError(`channel: the ${this.suite.name} suite cannot run on channels`);
    const party = this.party.channel(name);
    const suite = await fork.call(this.suite, party);
    return new Session(suite, party, this.root);
  }

  /**
   * The same secret, usable in this session: for secrets of another channel
   * of the same computation (see `channel`). No communication. Adopt secrets
   * whose computation has finished (their shares resolved, e.g. awaited
   * before opening the channel), or use them in one step only: a secret still
   * being computed on another channel resolves at a moment that differs
   * between parties, so several concurrent steps of this channel waiting on
   * it could issue their exchanges in a different order at each party.
   * @throws {SecretMisuseError} for a secret of another computation.
   */
  adopt<S extends SecretInt | SecretFixed | SecretBool>(x: S): S {
    if (x.session === this) return x;
    if (!(x.session instanceof Session) || x.session.root !== this.root)
      throw new SecretMisuseError('adopt: the secret belongs to another computation');
    return this.wrap(x.type, x.shape, x.bound, x.shares) as S;
  }

  /** The suite's name ('rep3', 'semi2k', ...). */
  get suiteName(): string {
    return this.suite.name;
  }

  /** Bits of the suite's ring or field elements (64 for Z_2^64; shamir's field holds more). */
  get capacity(): number {
    return this.suite.capacity;
  }

  /** Widest values (in bits, sign included) the suite compares and truncates. */
  get compareCapacity(): number {
    return this.suite.compareCapacity;
  }

  /** Whether the suite can run on channels (`channel`). */
  get canOpenChannels(): boolean {
    return this.suite.fork !== undefined;
  }

  /** This party's id. */
  get me(): string {
    return this.party.id;
  }

  /** All party ids, in order. */
  get parties(): readonly string[] {
    return this.party.ids;
  }

  /** The counters of this party: rounds, messages, bytes and operations. */
  stats(): StatsSnapshot {
    return this.party.stats.snapshot();
  }

  indexOf(party: string): number {
    return this.party.indexOf(party);
  }

  open(shares: Shares, to: readonly number[]): Promise<bigint[] | undefined> {
    return this.suite.open(shares, to);
  }

  /**
   * A secret input from party `from`. At that party, `data` holds the values
   * (a flat array, shaped by `shape` if given); at the others, `data` is the
   * public number of elements. Every party must call `input` in the same order.
   *
   * @example
   *   const ages = s.input('alice', int(8), s.me === 'alice' ? myAges : myAges.length);
   * @throws {RangeError} for an unknown party or a value out of the type's range;
   *   {TypeError} for a value of the wrong kind.
   */
  input<T extends SecretType>(
    from: string,
    type: T,
    data: InputData,
    shape?: readonly number[],
  ): SecretOf<T> {
    const owner = this.indexOf(from);
    const mine = owner === this.party.index;
    let n: number;
    let values: BigInt64Array | undefined;
    if (mine) {
      if (typeof data === 'number') {
        throw new TypeError(
          `input: party '${from}' owns this input and must pass its values, not a length`,
        );
      }
      values = encode(type, data as ArrayLike<PlainValue>, `input from '${from}': element`);
      n = values.length;
    } else {
      n = typeof data === 'number' ? data : (data as ArrayLike<PlainValue>).length;
    }
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`input: length must be a non-negative integer, got ${n}`);
    const sh = shape ?? [n];
    if (sh.reduce((a, b) => a * b, 1) !== n) {
      throw new RangeError(`input: shape [${sh.join(', ')}] does not hold ${n} elements`);
    }
    const p = this.suite.input(owner, values, n, type.bits);
    return this.wrap(type, sh, type.bits, p);
  }

  /** A public value as a secret of type `type` (for mixing with secrets). */
  constant<T extends SecretType>(type: T, values: PlainValue | ArrayLike<PlainValue>): SecretOf<T> {
    const arr = typeof values === 'object' ? values : [values];
    const enc = encode(type, arr, 'constant');
    const shape = typeof values === 'object' ? [enc.length] : [];
    return this.wrap(type, shape, type.bits, Promise.resolve(this.suite.constant(enc)));
  }

  /**
   * n secret uniformly random bits that no party learns (the suite's own
   * shared random bits, as its comparisons use them; see src/suites).
   * @throws {RangeError} when n is not a non-negative integer.
   */
  randomBits(n: number): SecretBool {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`randomBits: n must be a non-negative integer, got ${n}`);
    return new SecretBool(this, [n], this.suite.randomBits(n));
  }

  /**
   * n secret integers uniform in [0, 2^bits), as int(bits + 1), that no party
   * learns: each the sum of `bits` of `randomBits` times powers of two (no
   * communication beyond the bits).
   * @throws {RangeError} for n not a non-negative integer, or bits outside 1..62.
   */
  randomInts(n: number, bits: number): SecretInt {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`randomInts: n must be a non-negative integer, got ${n}`);
    if (!Number.isInteger(bits) || bits < 1 || bits > 62)
      throw new RangeError(`randomInts: bits must be an integer in 1..62, got ${bits}`);
    const powers = new BigInt64Array(n * bits);
    for (let i = 0; i < n * bits; i++) powers[i] = 1n << BigInt(i % bits);
    const u = this.randomBits(n * bits).shares.then((b) =>
      this.suite.sumGroups(this.suite.mulPublic(b, powers), bits),
    );
    return new SecretInt(this, int(bits + 1), [n], bits + 1, u);
  }

  /**
   * A secret from additive parts that a protocol left at the parties (the
   * share-producing end of a PSI, for instance): each party of `from` inputs
   * its own `length` parts (`parts` at that party, undefined at the others),
   * and the secret is their sum in the suite's ring, read as `type`. Costs
   * one input per listed party. For suites over Z_2^64 (`capacity` 64), where
   * such parts sum modulo 2^64. The claim that the sum lies in `type`'s range
   * is the caller's (reveal refuses a value outside it).
   * @throws {RangeError} for no parties, an unknown party, or parts of the wrong length.
   */
  fromAdditiveParts(
    type: IntType,
    from: readonly string[],
    parts: BigInt64Array | undefined,
    length: number,
  ): SecretInt {
    if (from.length === 0) throw new RangeError('fromAdditiveParts: name at least one party');
    if (!Number.isInteger(length) || length < 0)
      throw new RangeError(
        `fromAdditiveParts: length must be a non-negative integer, got ${length}`,
      );
    const owners = from.map((p) => this.indexOf(p));
    const mine = owners.includes(this.party.index);
    if (mine && parts?.length !== length)
      throw new RangeError(
        `fromAdditiveParts: '${this.me}' must pass ${length} parts, got ${parts?.length ?? 'none'}`,
      );
    const inputs = owners.map((o) =>
      this.suite.input(o, o === this.party.index ? parts : undefined, length, 64),
    );
    const sum = Promise.all(inputs).then((xs) => xs.reduce((a, b) => this.suite.add(a, b)));
    return new SecretInt(this, type, [length], type.bits, sum);
  }

  /** Joins secrets of one type end to end into one vector. */
  concat<S extends SecretInt | SecretFixed | SecretBool>(parts: readonly S[]): S {
    if (parts.length === 0) throw new RangeError('concat: nothing to join');
    const t = parts[0]!.type;
    for (const p of parts) {
      if (p.session !== this)
        throw new SecretMisuseError('concat: a secret belongs to another session');
      if (typeName(p.type) !== typeName(t))
        throw new TypeError(`concat: mixes ${typeName(t)} and ${typeName(p.type)}`);
    }
    const n = parts.reduce((a, p) => a + p.length, 0);
    const bound = Math.max(...parts.map((p) => p.bound));
    const sh = Promise.all(parts.map((p) => p.shares)).then((xs) => this.suite.concat(xs));
    return this.wrap(t, [n], bound, sh) as S;
  }

  /**
   * Sorts rows by a key column: `keys` and every payload are vectors of the
   * same length; the payloads follow their keys. By default (`method`
   * 'auto') a secret shuffle then quicksort with revealed comparisons of
   * index-tagged keys under semi-honest honest-majority suites (rep3,
   * shamir), which reveals nothing about the keys, and Batcher's network
   * elsewhere or when the tagged keys are too wide; see src/ops/sort.ts.
   * @example
   *   const { keys: ages, payloads: [ids] } = s.sortBy(age, [patientId]);
   * @throws {RangeError} when lengths differ; {SecretMisuseError} for secrets of another session.
   */
  sortBy<P extends SecretInt | SecretFixed | SecretBool>(
    keys: SecretInt | SecretFixed,
    payloads: readonly P[],
    opts: { descending?: boolean; method?: SortMethod } = {},
  ): { keys: SecretInt | SecretFixed; payloads: P[] } {
    this.own('sortBy', [keys, ...payloads]);
    const n = keys.length;
    payloads.forEach((p, i) => {
      if (p.length !== n)
        throw new RangeError(`sortBy: payload ${i} has ${p.length} elements, the keys ${n}`);
    });
    if (keys.bound + 1 > this.suite.compareCapacity) {
      throw new RangeError(
        `sortBy: ${keys.bound}-bit keys are too wide for the ${this.suite.name} suite's comparisons`,
      );
    }
    const sorted = Promise.all([keys.shares, ...payloads.map((p) => p.shares)]).then(([k, ...ps]) =>
      sortBy(this.suite, k!, keys.bound, ps, opts.descending ?? false, opts.method ?? 'auto'),
    );
    return {
      keys: this.wrap(
        keys.type,
        [n],
        keys.bound,
        sorted.then((r) => r.keys),
      ),
      payloads: payloads.map(
        (p, i) =>
          this.wrap(
            p.type,
            [n],
            p.bound,
            sorted.then((r) => r.payloads[i]!),
          ) as P,
      ),
    };
  }

  /**
   * Applies one uniformly random secret permutation to all columns (rows stay
   * together); no party learns the permutation. By resharing under
   * semi-honest honest-majority suites (src/ops/reshuffle.ts), else by
   * sorting on random keys (src/ops/sort.ts, with its statistical distance
   * from uniform).
   */
  shuffle<P extends SecretInt | SecretFixed | SecretBool>(columns: readonly P[]): P[] {
    this.own('shuffle', columns);
    if (columns.length === 0) return [];
    const n = columns[0]!.length;
    columns.forEach((c, i) => {
      if (c.length !== n)
        throw new RangeError(`shuffle: column ${i} has ${c.length} elements, column 0 has ${n}`);
    });
    const shuffled = Promise.all(columns.map((c) => c.shares)).then((cs) =>
      shuffle(this.suite, cs, n),
    );
    return columns.map(
      (c, i) =>
        this.wrap(
          c.type,
          [n],
          c.bound,
          shuffled.then((r) => r[i]!),
        ) as P,
    );
  }

  private own(op: string, xs: ReadonlyArray<Secret<unknown>>): void {
    for (const x of xs)
      if (x.session !== this)
        throw new SecretMisuseError(`${op}: a secret belongs to another session`);
  }

  /** @internal */
  wrap<T extends SecretType>(
    type: T,
    shape: readonly number[],
    bound: number,
    p: Promise<Shares>,
  ): SecretOf<T> {
    if (type.kind === 'int') return new SecretInt(this, type, shape, bound, p) as SecretOf<T>;
    if (type.kind === 'fixed') return new SecretFixed(this, type, shape, bound, p) as SecretOf<T>;
    return new SecretBool(this, shape, p) as SecretOf<T>;
  }

  /** Reveals several secrets in one round. */
  async revealAll(secrets: ReadonlyArray<Secret<unknown>>): Promise<unknown[][]> {
    for (const x of secrets)
      if (x.session !== this)
        throw new SecretMisuseError('revealAll: a secret belongs to another session');
    return Promise.all(secrets.map((x) => x.reveal()));
  }
}

export type { BoolType, FixedType, IntType };
