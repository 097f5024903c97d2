/**
 * The DAP Collector (draft-09 section 4.4.2): creates a collection job at the
 * Leader for a batch interval, polls it until the Leader answers with the
 * Collection, opens both aggregate shares with its HPKE key and unshards them
 * with @divviup/prio3. Every wait is bounded. Runs in browsers (fetch,
 * WebCrypto).
 */
import { DapDecodeError, toBase64Url } from './codec.js';
import { hpkeOpener, type HpkeKeypair } from './hpke.js';
import * as msg from './messages.js';
import { makeVdaf, decodeFieldVec, unshard, type VdafSpec, type AnyPrio3 } from './vdaf.js';
import { aggregateShareInfo, AUTH_HEADER, MEDIA_TYPES } from './version.js';

export interface CollectorOptions {
  readonly taskId: Uint8Array;
  readonly leaderUrl: string;
  readonly token: string;
  readonly hpke: HpkeKeypair;
  readonly vdaf: VdafSpec;
  /** The aggregators add DP noise: results are read as signed and may be negative or non-integral counts. */
  readonly noisy?: boolean;
  readonly fetch?: typeof fetch;
}

export interface CollectResult {
  readonly reportCount: number;
  readonly interval: msg.Interval;
  /** The VDAF's aggregate: a number for Count and Sum, an array for SumVec and Histogram. */
  readonly aggregate: unknown;
}

/** The Leader refused or did not answer in time: names the status and problem type. */
export class DapCollectError extends Error {
  override readonly name = 'DapCollectError';
}

/** Field elements read as signed: noise may take a small total below zero. */
function signed(v: AnyPrio3, b: Uint8Array, n: number): bigint[] {
  const p = v.flp.field.modulus;
  return decodeFieldVec(v, b, n, 'aggregate share').map((x) => (x > p / 2n ? x - p : x));
}

export class DapCollector {
  private readonly vdaf: AnyPrio3;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: CollectorOptions) {
    this.vdaf = makeVdaf(o.vdaf);
    this.fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private url(path: string): string {
    const base = this.o.leaderUrl.endsWith('/') ? this.o.leaderUrl : `${this.o.leaderUrl}/`;
    return new URL(path, base).toString();
  }

  private async refuse(res: Response, what: string): Promise<never> {
    let detail = '';
    try {
      const p = (await res.json()) as { type?: string; title?: string };
      detail = `: ${p.type ?? ''} ${p.title ?? ''}`.trimEnd();
    } catch {
      /* no problem document */
    }
    throw new DapCollectError(`${what}: leader answered ${res.status}${detail}`);
  }

  /**
   * Collects the interval. Polls every `pollMs` until `timeoutMs` has passed
   * (DapCollectError then: the batch may be below the minimum size).
   */
  async collect(
    interval: msg.Interval,
    opts: { pollMs?: number; timeoutMs?: number } = {},
  ): Promise<CollectResult> {
    const jobId = toBase64Url(crypto.getRandomValues(new Uint8Array(msg.JOB_ID_LEN)));
    const path = `tasks/${toBase64Url(this.o.taskId)}/collection_jobs/${jobId}`;
    const put = await this.fetch(this.url(path), {
      method: 'PUT',
      headers: { 'content-type': MEDIA_TYPES.collectReq, [AUTH_HEADER]: this.o.token },
      body: msg.encodeCollectionReq({
        query: interval,
        aggParam: new Uint8Array(0),
      }) as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
    if (put.status !== 201) return this.refuse(put, 'collection job');
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new DapCollectError(
          `collection job not ready within ${opts.timeoutMs ?? 60_000} ms (is the batch below the minimum size?)`,
        );
      let res: Response;
      try {
        res = await this.fetch(this.url(path), {
          method: 'POST',
          headers: { [AUTH_HEADER]: this.o.token },
          signal: AbortSignal.timeout(left),
        });
      } catch (e) {
        if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') continue;
        throw new DapCollectError(`collection poll: ${(e as Error).message}`);
      }
      if (res.status === 200) {
        if (res.headers.get('content-type') !== MEDIA_TYPES.collection)
          throw new DapCollectError('collection: wrong content-type');
        return this.open(new Uint8Array(await res.arrayBuffer()));
      }
      if (res.status !== 202) return this.refuse(res, 'collection poll');
      await res.arrayBuffer();
      await new Promise((r) =>
        setTimeout(r, Math.min(opts.pollMs ?? 200, Math.max(0, deadline - Date.now()))),
      );
    }
  }

  /** Opens a Collection's two shares and unshards them. */
  async open(bytes: Uint8Array): Promise<CollectResult> {
    let c: msg.Collection;
    try {
      c = msg.decodeCollection(bytes);
    } catch (e) {
      throw new DapCollectError(`collection: ${(e as DapDecodeError).message}`);
    }
    const opener = await hpkeOpener(this.o.hpke);
    const aad = msg.encodeAggregateShareAad(this.o.taskId, new Uint8Array(0), c.interval);
    const l = await opener.open(c.leaderShare, aggregateShareInfo(2), aad);
    const h = await opener.open(c.helperShare, aggregateShareInfo(3), aad);
    let aggregate: unknown;
    if (this.o.noisy) {
      const n = this.vdaf.flp.outputLen;
      const a = signed(this.vdaf, l, n);
      const b = signed(this.vdaf, h, n);
      const sum = a.map((x, i) => Number(x + b[i]!));
      aggregate = this.o.vdaf.type === 'count' || this.o.vdaf.type === 'sum' ? sum[0] : sum;
    } else aggregate = unshard(this.vdaf, l, h, c.reportCount);
    return { reportCount: c.reportCount, interval: c.interval, aggregate };
  }
}
