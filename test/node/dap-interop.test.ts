/**
 * Issue 17 item 2: the unmodified @divviup/dap client (its Task class)
 * uploads reports of every supported Prio3 VDAF to Entente's Leader; the
 * Leader and Helper (each its own HTTP server on 127.0.0.1 and its own
 * database) aggregate; Entente's Collector gets exactly the plaintext
 * aggregate. Tampered reports, invalid measurements, replays, stale and early
 * reports sent through the same library are rejected, counted by reason, and
 * never aggregated. Runs on PGlite, and on PostgreSQL when ENTENTE_TEST_PG_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAPError, Task } from '@divviup/dap';
import { toBase64Url } from '../../src/dap/codec.js';
import { DapCollector } from '../../src/dap/collector.js';
import { generateHpkeKeypair, type HpkeKeypair } from '../../src/dap/hpke.js';
import { decodeReport, encodeReport, type Report } from '../../src/dap/messages.js';
import type { DapTask } from '../../src/dap/task.js';
import type { VdafSpec } from '../../src/dap/vdaf.js';
import { MEDIA_TYPES } from '../../src/dap/version.js';
import { DapAggregator } from '../../src/node/dap/aggregator.js';
import { serveDap, type RunningDap } from '../../src/node/dap/server.js';
import {
  decodeAggregationJobInitReq,
  encodeAggregationJobInitReq,
  encodeCollectionReq,
} from '../../src/dap/messages.js';
import type { Store } from '../../src/node/store/store.js';
import { BACKENDS } from './backends.js';

const HOUR = 3600;
const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const randInt = (n: number): number => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
const token = (): string => toBase64Url(rnd(24));

interface Provisioned {
  readonly id: Uint8Array;
  readonly spec: VdafSpec;
  readonly collector: DapCollector;
  readonly collectorToken: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  client(fetchWrap?: (req: Report) => Report): Task<any, any>;
}

describe.each(BACKENDS)('DAP interop with @divviup/dap on $name', (backend) => {
  let stores: Store[] = [];
  let leader: RunningDap;
  let helper: RunningDap;
  let collectorKeys: HpkeKeypair;
  const now = Math.floor(Date.now() / 1000);
  const bucket = now - (now % HOUR);
  const interval = { start: bucket, duration: HOUR };
  // Every report carries this time, so a test running across the hour stays in one bucket.
  const at = { timestamp: new Date(now * 1000) };

  beforeAll(async () => {
    stores = [await backend.open(), await backend.open()];
    helper = await serveDap({ db: stores[1]!.db });
    leader = await serveDap({ db: stores[0]!.db, jobSize: 16 });
    collectorKeys = await generateHpkeKeypair(9);
  });
  afterAll(async () => {
    await leader?.close();
    await helper?.close();
    for (const s of stores) await s.close();
  });

  async function provision(spec: VdafSpec, extra: Partial<DapTask> = {}): Promise<Provisioned> {
    const id = rnd(32);
    const common = {
      id,
      vdaf: spec,
      leaderUrl: leader.url,
      helperUrl: helper.url,
      verifyKey: rnd(16),
      aggregatorToken: token(),
      collectorHpkeConfig: collectorKeys.config,
      timePrecision: HOUR,
      minBatchSize: 5,
      maxBatchQueryCount: 1,
      reportMaxAge: 7 * 24 * HOUR,
      clockSkew: 60,
      dpEpsilon: undefined,
      ...extra,
    };
    const collectorToken = token();
    await leader.aggregator.provision({
      ...common,
      role: 'leader',
      collectorToken,
      hpke: await generateHpkeKeypair(1),
    });
    await helper.aggregator.provision({
      ...common,
      role: 'helper',
      collectorToken: undefined,
      hpke: await generateHpkeKeypair(2),
    });
    return {
      id,
      spec,
      collectorToken,
      collector: new DapCollector({
        taskId: id,
        leaderUrl: leader.url,
        token: collectorToken,
        hpke: collectorKeys,
        vdaf: spec,
        noisy: common.dpEpsilon !== undefined,
      }),
      client(wrap) {
        const task = new Task({
          ...spec,
          id: toBase64Url(id),
          leader: leader.url,
          helper: helper.url,
          timePrecisionSeconds: HOUR,
        } as never);
        if (wrap)
          // Tampering in transit: the library encodes the report, the wrapper edits it.
          task.fetch = (async (url: string, init?: RequestInit) => {
            if (init?.method === 'PUT' && typeof url === 'string' && url.endsWith('/reports')) {
              const body = encodeReport(
                wrap(decodeReport(new Uint8Array(init.body as Uint8Array))),
              );
              return fetch(url, { ...init, body: body as Uint8Array<ArrayBuffer> });
            }
            return fetch(url, init);
          }) as typeof fetch;
        return task;
      },
    };
  }

  const flipLeader = (r: Report): Report => {
    const payload = r.leaderShare.payload.slice();
    payload[randInt(payload.length)]! ^= 1;
    return { ...r, leaderShare: { ...r.leaderShare, payload } };
  };
  const flipHelper = (r: Report): Report => {
    const payload = r.helperShare.payload.slice();
    payload[randInt(payload.length)]! ^= 0x80;
    return { ...r, helperShare: { ...r.helperShare, payload } };
  };

  /** Valid reports plus every kind of bad one; returns the plaintext aggregate of the valid ones. */
  async function uploadAll<M>(p: Provisioned, measurements: M[], invalid: M): Promise<void> {
    const task = p.client();
    for (const m of measurements) await task.sendMeasurement(m as never, at);
    // Leader's share flipped in transit: refused at upload.
    await expect(
      p.client(flipLeader).sendMeasurement(measurements[0] as never, at),
    ).rejects.toThrow(/reportRejected/);
    // Helper's share flipped: accepted by the Leader, refused by the Helper in the aggregation job.
    await p.client(flipHelper).sendMeasurement(measurements[0] as never, at);
    // A client that skips the library's measurement check and encodes an out-of-range value.
    const cheat = p.client();
    const flp = (
      cheat.vdaf as unknown as { flp: { measurementLen: number; encode(m: unknown): bigint[] } }
    ).flp;
    flp.encode = () => new Array<bigint>(flp.measurementLen).fill(3n);
    await cheat.sendMeasurement(invalid as never, at);
    // A replay of a report already uploaded.
    const again = await task.generateReport(measurements[0] as never, at);
    await task.sendReport(again);
    const replay = task.sendReport(again);
    await expect(replay).rejects.toBeInstanceOf(DAPError);
    await expect(replay).rejects.toThrow(/reportRejected/);
    // Too old and too early.
    await expect(
      task.sendMeasurement(measurements[0] as never, {
        timestamp: new Date((now - 30 * 24 * HOUR) * 1000),
      }),
    ).rejects.toThrow(/reportRejected/);
    await expect(
      task.sendMeasurement(measurements[0] as never, {
        timestamp: new Date((now + 2 * 24 * HOUR) * 1000),
      }),
    ).rejects.toThrow(/reportTooEarly/);
  }

  async function checkCounts(p: Provisioned): Promise<void> {
    const id = toBase64Url(p.id);
    expect(await leader.aggregator.rejections(id)).toEqual({
      hpke_decrypt_error: 1,
      report_replayed: 1,
      report_too_old: 1,
      report_too_early: 1,
      helper_hpke_decrypt_error: 1,
      helper_vdaf_prep_error: 1,
    });
    expect(await helper.aggregator.rejections(id)).toEqual({
      hpke_decrypt_error: 1,
      vdaf_prep_error: 1,
    });
  }

  it('Prio3Count: the Collector gets exactly the count; bad reports are counted, never aggregated', async () => {
    const p = await provision({ type: 'count' });
    const ms = [true, false, true, ...Array.from({ length: 9 }, () => randInt(2) === 1)];
    await uploadAll(p, ms, true);
    const r = await p.collector.collect(interval);
    // One valid replayed report was sent once: it counts once.
    expect(r.reportCount).toBe(ms.length + 1);
    expect(r.aggregate).toBe(ms.filter(Boolean).length + (ms[0] ? 1 : 0));
    await checkCounts(p);
    // The batch may be collected once (max_batch_query_count 1).
    await expect(p.collector.collect(interval, { timeoutMs: 5000 })).rejects.toThrow(
      /batchQueriedTooManyTimes/,
    );
    // A report for the collected batch is refused.
    await expect(p.client().sendMeasurement(true, at)).rejects.toThrow(/reportRejected/);
  });

  it('Prio3Sum, Prio3SumVec and Prio3Histogram: exact aggregates from the same client', async () => {
    const sum = await provision({ type: 'sum', bits: 8 });
    const sms = [0, 255, ...Array.from({ length: 8 }, () => randInt(256))];
    await uploadAll(sum, sms, 1);
    const vec = { type: 'sumVec', length: 6, bits: 4, chunkLength: 3 } as const;
    const sv = await provision(vec);
    const vms = [
      new Array(6).fill(0),
      new Array(6).fill(15),
      ...Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => randInt(16))),
    ];
    await uploadAll(sv, vms, vms[0]);
    const hist = { type: 'histogram', length: 10, chunkLength: 4 } as const;
    const hi = await provision(hist);
    const hms = [0, 9, 9, ...Array.from({ length: 9 }, () => randInt(10))];
    await uploadAll(hi, hms, 0);

    const rs = await sum.collector.collect(interval);
    expect(Number(rs.aggregate)).toBe(sms.reduce((a, b) => a + b, 0) + sms[0]!);
    const rv = await sv.collector.collect(interval);
    expect((rv.aggregate as unknown[]).map(Number)).toEqual(
      vms[0]!.map((_: number, i: number) => vms.reduce((a, m) => a + m[i]!, 0) + vms[0]![i]!),
    );
    const rh = await hi.collector.collect(interval);
    const wantH = Array.from(
      { length: 10 },
      (_, i) => hms.filter((x) => x === i).length + (hms[0] === i ? 1 : 0),
    );
    expect((rh.aggregate as unknown[]).map(Number)).toEqual(wantH);
    for (const p of [sum, sv, hi]) await checkCounts(p);
  });

  it('refuses a batch below the minimum size, an unknown task, and a collector without the token', async () => {
    const p = await provision({ type: 'count' }, { minBatchSize: 3 });
    await p.client().sendMeasurement(true, at);
    await p.client().sendMeasurement(false, at);
    // Two reports < 3: the job stays pending, the Collector's bounded wait ends with an error.
    await expect(p.collector.collect(interval, { timeoutMs: 1500, pollMs: 100 })).rejects.toThrow(
      /not ready within/,
    );
    await p.client().sendMeasurement(true, at);
    expect((await p.collector.collect(interval)).aggregate).toBe(2);

    const unknown = toBase64Url(rnd(32));
    const before = (await leader.aggregator.rejections('*')).unknown_task ?? 0;
    const res = await fetch(`${leader.url}tasks/${unknown}/reports`, {
      method: 'PUT',
      headers: { 'content-type': MEDIA_TYPES.report },
      body: new Uint8Array(100),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { type: string }).type).toBe(
      'urn:ietf:params:ppm:dap:error:unrecognizedTask',
    );
    expect((await leader.aggregator.rejections('*')).unknown_task).toBe(before + 1);
    // The client library cannot even fetch keys for an unknown task.
    const stranger = new Task({
      type: 'count',
      id: unknown,
      leader: leader.url,
      helper: helper.url,
      timePrecisionSeconds: HOUR,
    });
    await expect(stranger.sendMeasurement(true, at)).rejects.toThrow(/unrecognizedTask/);

    const q = await provision({ type: 'count' });
    const thief = new DapCollector({
      taskId: q.id,
      leaderUrl: leader.url,
      token: token(),
      hpke: collectorKeys,
      vdaf: { type: 'count' },
    });
    await expect(thief.collect(interval)).rejects.toThrow(/403.*unauthorizedRequest/);
    // The Helper refuses an aggregation job without the Leader's token.
    const job = await fetch(
      `${helper.url}tasks/${toBase64Url(q.id)}/aggregation_jobs/${toBase64Url(rnd(16))}`,
      {
        method: 'PUT',
        headers: { 'content-type': MEDIA_TYPES.aggregationJobInitReq, 'DAP-Auth-Token': token() },
        body: new Uint8Array(10),
      },
    );
    expect(job.status).toBe(403);
  });

  it('a Helper that does not answer leaves the collection job pending; the next poll finishes it', async () => {
    const p = await provision({ type: 'count' });
    const ms = [true, true, false, true, false];
    for (const m of ms) await p.client().sendMeasurement(m, at);
    let down = true;
    // A second Leader instance over the same database, whose first call to the Helper fails.
    const flaky = new DapAggregator({
      db: stores[0]!.db,
      fetch: (async (url: string, init?: RequestInit) => {
        if (down && url.endsWith('/aggregate_shares')) {
          down = false;
          throw new TypeError('network down');
        }
        return fetch(url, init);
      }) as typeof fetch,
    });
    const id = toBase64Url(p.id);
    const job = toBase64Url(rnd(16));
    await flaky.createCollection(
      id,
      job,
      p.collectorToken,
      encodeCollectionReq({ query: interval, aggParam: new Uint8Array(0) }),
    );
    await expect(flaky.pollCollection(id, job, p.collectorToken)).rejects.toThrow(
      /unreachable: network down/,
    );
    const bytes = await flaky.pollCollection(id, job, p.collectorToken);
    expect(bytes).not.toBeNull();
    const r = await p.collector.open(bytes!);
    expect(r.aggregate).toBe(3);
    // Polling a finished job again returns the same Collection, not a second release.
    expect(await flaky.pollCollection(id, job, p.collectorToken)).toEqual(bytes);
  });

  it("a Leader's retried aggregation job gets the Helper's same answer, not replays", async () => {
    const p = await provision({ type: 'count' });
    const ms = [true, false, true, true, true];
    for (const m of ms) await p.client().sendMeasurement(m, at);
    let firstJob: { url: string; init: RequestInit } | undefined;
    // A Leader whose every aggregation job is sent twice (the first answer lost).
    const retrying = new DapAggregator({
      db: stores[0]!.db,
      fetch: (async (url: string, init?: RequestInit) => {
        if (url.includes('/aggregation_jobs/')) {
          firstJob ??= { url, init: init! };
          await (await fetch(url, init)).arrayBuffer();
        }
        return fetch(url, init);
      }) as typeof fetch,
    });
    const id = toBase64Url(p.id);
    const job = toBase64Url(rnd(16));
    await retrying.createCollection(
      id,
      job,
      p.collectorToken,
      encodeCollectionReq({ query: interval, aggParam: new Uint8Array(0) }),
    );
    const r = await p.collector.open((await retrying.pollCollection(id, job, p.collectorToken))!);
    expect(r.aggregate).toBe(4);
    expect(r.reportCount).toBe(5);
    expect(await helper.aggregator.rejections(id)).toEqual({});
    // The same job id with another body is refused.
    const sent = decodeAggregationJobInitReq(new Uint8Array(firstJob!.init.body as Uint8Array));
    const fewer = encodeAggregationJobInitReq({
      ...sent,
      prepareInits: sent.prepareInits.slice(1),
    });
    const other = await fetch(firstJob!.url, {
      ...firstJob!.init,
      body: fewer as Uint8Array<ArrayBuffer>,
    });
    expect(other.status).toBe(409);
  });

  it('adds discrete Laplace noise at collection when the task asks for it', async () => {
    const p = await provision({ type: 'histogram', length: 4, chunkLength: 2 }, { dpEpsilon: 1 });
    const ms = Array.from({ length: 8 }, () => randInt(4));
    for (const m of ms) await p.client().sendMeasurement(m, at);
    const r = await p.collector.collect(interval);
    const want = [0, 1, 2, 3].map((i) => ms.filter((x) => x === i).length);
    const got = r.aggregate as number[];
    // Noise of scale 1 from each aggregator: |error| <= 40 fails with probability below 1e-15.
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(40));
    expect(r.reportCount).toBe(8);
  });
});
