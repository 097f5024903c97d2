/**
 * Preprocessing material of the dishonest-majority suites: pools of
 * correlated randomness (triples, daBits, ...) that one party holds for one
 * session, consumed exactly once.
 *
 * Rules (what the store enforces, not just documents):
 * - Material is bound to a session tag: the store refuses to import a bundle
 *   made for another session, party or suite.
 * - Material is used once: `take` removes items from the pool (the store
 *   keeps no reference), and a bundle can be imported only once per
 *   registry (`SpentRegistry`), so the same bytes cannot feed two runs.
 * - Strict mode: when a program was counted and preprocessed ahead, running
 *   out is an error (`PreprocessingError` 'exhausted') instead of a silent
 *   fallback to generating on demand.
 * Every party takes the same amounts in the same order (the program is the
 * same everywhere), so the pools stay aligned across parties.
 */

/** A column of material: 64-bit words or bytes. */
export type Column = BigUint64Array | Uint8Array;

/** Items of one kind: every column holds `width` entries per item. */
export interface Batch {
  readonly count: number;
  readonly cols: Readonly<Record<string, Column>>;
}

/** Column layout of one kind: name -> ['u64' | 'u8', entries per item]. */
export type KindLayout = Readonly<Record<string, readonly ['u64' | 'u8', number]>>;

export type PreprocessingFailure =
  'exhausted' | 'wrong-session' | 'reused' | 'malformed' | 'insecure-refused';

/** A problem with preprocessing material. Never carries material values. */
export class PreprocessingError extends Error {
  override readonly name = 'PreprocessingError';
  constructor(
    readonly reason: PreprocessingFailure,
    detail: string,
  ) {
    super(`preprocessing ${reason}: ${detail}`);
  }
}

/** Remembers which bundles were imported; back it with storage to refuse reuse across runs. */
export interface SpentRegistry {
  /** Records `id`; @throws {PreprocessingError} ('reused') if it was recorded before. */
  claim(id: string): void;
}

/** A registry kept in memory (one process). */
export class MemorySpentRegistry implements SpentRegistry {
  readonly #seen = new Set<string>();
  claim(id: string): void {
    if (this.#seen.has(id))
      throw new PreprocessingError('reused', `bundle ${id.slice(0, 16)} was already used`);
    this.#seen.add(id);
  }
}

function alloc(t: 'u64' | 'u8', n: number): Column {
  return t === 'u64' ? new BigUint64Array(n) : new Uint8Array(n);
}

/** Slices items [from, to) of a batch (views, no copy). */
export function sliceBatch(layout: KindLayout, b: Batch, from: number, to: number): Batch {
  const cols: Record<string, Column> = {};
  for (const [name, [, w]] of Object.entries(layout))
    cols[name] = b.cols[name]!.subarray(from * w, to * w);
  return { count: to - from, cols };
}

/** Joins batches end to end (copies). */
export function concatBatches(layout: KindLayout, parts: readonly Batch[]): Batch {
  if (parts.length === 1) return parts[0]!;
  let count = 0;
  for (const p of parts) count += p.count;
  const cols: Record<string, Column> = {};
  for (const [name, [t, w]] of Object.entries(layout)) {
    const out = alloc(t, count * w);
    let off = 0;
    for (const p of parts) {
      const c = p.cols[name]!;
      if (t === 'u64') (out as BigUint64Array).set(c as BigUint64Array, off);
      else (out as Uint8Array).set(c as Uint8Array, off);
      off += c.length;
    }
    cols[name] = out;
  }
  return { count, cols };
}

class Pool {
  readonly #chunks: Batch[] = [];
  #offset = 0;
  #available = 0;

  constructor(readonly layout: KindLayout) {}

  get available(): number {
    return this.#available;
  }

  put(b: Batch): void {
    if (b.count === 0) return;
    this.#chunks.push(b);
    this.#available += b.count;
  }

  /** Removes and returns the next n items. Caller checks availability. */
  take(n: number): Batch {
    const parts: Batch[] = [];
    let need = n;
    while (need > 0) {
      const head = this.#chunks[0]!;
      const k = Math.min(need, head.count - this.#offset);
      parts.push(sliceBatch(this.layout, head, this.#offset, this.#offset + k));
      this.#offset += k;
      need -= k;
      if (this.#offset === head.count) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#available -= n;
    return parts.length === 0
      ? sliceBatch(this.layout, emptyBatch(this.layout), 0, 0)
      : concatBatches(this.layout, parts);
  }

  /** Removes everything (for export). */
  drain(): Batch {
    return this.take(this.#available);
  }
}

export function emptyBatch(layout: KindLayout): Batch {
  const cols: Record<string, Column> = {};
  for (const [name, [t]] of Object.entries(layout)) cols[name] = alloc(t, 0);
  return { count: 0, cols };
}

export interface StoreOptions {
  /** Refuse to generate on demand: running out is an error. Default false. */
  strict?: boolean;
}

/** Counts of material by kind. */
export type Counts = Record<string, number>;

/**
 * One party's pools of material for one session.
 *
 * @example
 *   const store = new MaterialStore('semi2k', tag, 0, { triple: TRIPLE_LAYOUT });
 *   store.put('triple', batch);
 *   const t = await store.take('triple', 100, (k) => generateTriples(k));
 */
export class MaterialStore {
  readonly suite: string;
  readonly sessionTag: string;
  readonly partyIndex: number;
  readonly layouts: Readonly<Record<string, KindLayout>>;
  strict: boolean;
  readonly #pools = new Map<string, Pool>();
  /** Items taken so far, by kind. */
  readonly consumed: Counts = {};
  /** Items generated (or imported) so far, by kind. */
  readonly produced: Counts = {};
  /** Items generated on demand during the run (not ahead), by kind. */
  readonly onDemand: Counts = {};

  constructor(
    suite: string,
    sessionTag: string,
    partyIndex: number,
    layouts: Readonly<Record<string, KindLayout>>,
    opts: StoreOptions = {},
  ) {
    this.suite = suite;
    this.sessionTag = sessionTag;
    this.partyIndex = partyIndex;
    this.layouts = layouts;
    this.strict = opts.strict ?? false;
    for (const [k, l] of Object.entries(layouts)) {
      this.#pools.set(k, new Pool(l));
      this.consumed[k] = 0;
      this.produced[k] = 0;
      this.onDemand[k] = 0;
    }
  }

  #pool(kind: string): Pool {
    const p = this.#pools.get(kind);
    if (!p) throw new RangeError(`${this.suite}: unknown material kind '${kind}'`);
    return p;
  }

  available(kind: string): number {
    return this.#pool(kind).available;
  }

  /** Adds generated material. */
  put(kind: string, b: Batch): void {
    this.#pool(kind).put(b);
    this.produced[kind] = this.produced[kind]! + b.count;
  }

  /**
   * Removes n items of `kind`; what the pool lacks is generated by `generate`
   * (at least `minBatch` at a time, the surplus kept), unless the store is strict.
   * @throws {PreprocessingError} ('exhausted') in strict mode when the pool runs out.
   */
  async take(
    kind: string,
    n: number,
    generate: (count: number) => Promise<Batch>,
    minBatch = 0,
  ): Promise<Batch> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${this.suite}: bad count ${n}`);
    const pool = this.#pool(kind);
    this.consumed[kind] = this.consumed[kind]! + n;
    if (pool.available >= n) return pool.take(n);
    if (this.strict)
      throw new PreprocessingError(
        'exhausted',
        `${this.suite}: needed ${n} ${kind} items, ${pool.available} left (strict mode: count the program and preprocess ahead)`,
      );
    // Take what is there now (synchronously, so concurrent takers stay in order), generate the rest.
    const have = pool.take(pool.available);
    const missing = n - have.count;
    const count = Math.max(missing, minBatch);
    this.onDemand[kind] = this.onDemand[kind]! + count;
    this.produced[kind] = this.produced[kind]! + count;
    const fresh = await generate(count);
    const layout = pool.layout;
    pool.put(sliceBatch(layout, fresh, missing, count));
    return concatBatches(layout, [have, sliceBatch(layout, fresh, 0, missing)]);
  }

  /**
   * Removes n items that must already be in the pool (for synchronous callers).
   * @throws {PreprocessingError} ('exhausted') when fewer are left.
   */
  takeSync(kind: string, n: number): Batch {
    const pool = this.#pool(kind);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${this.suite}: bad count ${n}`);
    if (pool.available < n)
      throw new PreprocessingError(
        'exhausted',
        `${this.suite}: needed ${n} ${kind} items at once, ${pool.available} preprocessed`,
      );
    this.consumed[kind] = this.consumed[kind]! + n;
    return pool.take(n);
  }

  /** What is left, by kind. */
  remaining(): Counts {
    const out: Counts = {};
    for (const [k, p] of this.#pools) out[k] = p.available;
    return out;
  }

  /**
   * Serialises and removes all material (it is no longer usable here), for
   * storage until a later run of the same session. Layout: a JSON header
   * (suite, session tag, party, bundle id, counts), then each column.
   * `bundleId` must be the same at every party (e.g. derived from a coin toss).
   */
  exportBundle(bundleId: string): Uint8Array {
    const header: BundleHeader = {
      v: 1,
      suite: this.suite,
      session: this.sessionTag,
      party: this.partyIndex,
      id: bundleId,
      counts: {},
    };
    const parts: Uint8Array[] = [];
    for (const [k, p] of this.#pools) {
      const b = p.drain();
      header.counts[k] = b.count;
      for (const name of Object.keys(p.layout)) {
        const c = b.cols[name]!;
        parts.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength).slice());
      }
    }
    const h = new TextEncoder().encode(JSON.stringify(header));
    const hlen = (h.length + 7) & ~7;
    let total = 8 + hlen;
    for (const p of parts) total += (p.length + 7) & ~7;
    const out = new Uint8Array(total);
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 8);
    let off = 8 + hlen;
    for (const p of parts) {
      out.set(p, off);
      off += (p.length + 7) & ~7;
    }
    return out;
  }

  /**
   * Adds an exported bundle's material. Refuses a bundle of another suite,
   * session or party, and a bundle the registry has seen.
   * @throws {PreprocessingError} ('wrong-session', 'reused', 'malformed').
   */
  importBundle(bytes: Uint8Array, registry: SpentRegistry): string {
    const bad = (why: string) => new PreprocessingError('malformed', `bundle: ${why}`);
    if (bytes.length < 8) throw bad('too short');
    const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    const hl = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0, true);
    if (8 + hl > buf.length) throw bad('header overruns');
    let header: BundleHeader;
    try {
      header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + hl))) as BundleHeader;
    } catch {
      throw bad('header is not JSON');
    }
    if (header.v !== 1 || header.suite !== this.suite)
      throw new PreprocessingError('wrong-session', `bundle is for suite '${header.suite}'`);
    if (header.session !== this.sessionTag)
      throw new PreprocessingError('wrong-session', 'bundle was made for another session');
    if (header.party !== this.partyIndex)
      throw new PreprocessingError('wrong-session', `bundle belongs to party ${header.party}`);
    const batches: Array<[string, Batch]> = [];
    let off = 8 + ((hl + 7) & ~7);
    for (const [k, p] of this.#pools) {
      const count = header.counts[k] ?? 0;
      if (!Number.isInteger(count) || count < 0) throw bad(`bad count for ${k}`);
      const cols: Record<string, Column> = {};
      for (const [name, [t, w]] of Object.entries(p.layout)) {
        const bytesLen = count * w * (t === 'u64' ? 8 : 1);
        if (off + bytesLen > buf.length) throw bad('columns overrun');
        const raw = buf.slice(off, off + bytesLen);
        cols[name] = t === 'u64' ? new BigUint64Array(raw.buffer) : raw;
        off += (bytesLen + 7) & ~7;
      }
      batches.push([k, { count, cols }]);
    }
    if (off !== buf.length) throw bad('trailing bytes');
    registry.claim(`${header.suite}/${header.session}/${header.id}/${header.party}`);
    for (const [k, b] of batches) this.put(k, b);
    return header.id;
  }
}

interface BundleHeader {
  v: number;
  suite: string;
  session: string;
  party: number;
  id: string;
  counts: Record<string, number>;
}
