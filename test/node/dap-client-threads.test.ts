/**
 * The simulated respondents' clients on worker threads (src/node/dap/client-threads.ts),
 * as the benchmark and the survey demos use them: reports made on two threads by the
 * unmodified @divviup/dap client are accepted by a real Leader and Helper and aggregate to
 * exactly the plaintext histogram (edges and random measurements; an odd count, so the
 * threads' slices differ), and a thread's failure reaches the caller as a typed error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/dap/codec.js';
import { DapCollector } from '../../src/dap/collector.js';
import { generateHpkeKeypair } from '../../src/dap/hpke.js';
import { MEDIA_TYPES } from '../../src/dap/version.js';
import type { VdafSpec } from '../../src/dap/vdaf.js';
import { ClientThreadError, ReportThreads } from '../../src/node/dap/client-threads.js';
import { serveDap, type RunningDap } from '../../src/node/dap/server.js';
import { openStore, type Store } from '../../src/node/store/store.js';

const HOUR = 3600;
const LENGTH = 4;
const SPEC: VdafSpec = { type: 'histogram', length: LENGTH, chunkLength: 2 };
const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

describe('DAP clients on worker threads', () => {
  const stores: Store[] = [];
  const servers: RunningDap[] = [];
  let threads: ReportThreads;
  beforeAll(async () => {
    stores.push(await openStore({ kind: 'pglite', dir: undefined }));
    stores.push(await openStore({ kind: 'pglite', dir: undefined }));
    threads = new ReportThreads(2);
  }, 60_000);
  afterAll(async () => {
    await threads.close();
    for (const s of servers) await s.close();
    for (const s of stores) await s.close();
  });

  it('reports made on two threads aggregate to exactly the plaintext histogram', async () => {
    const helper = await serveDap({ db: stores[1]!.db });
    const leader = await serveDap({ db: stores[0]!.db });
    servers.push(helper, leader);
    const id = rnd(32);
    const collectorKeys = await generateHpkeKeypair(9);
    const common = {
      id,
      vdaf: SPEC,
      leaderUrl: leader.url,
      helperUrl: helper.url,
      verifyKey: rnd(16),
      aggregatorToken: toBase64Url(rnd(24)),
      collectorHpkeConfig: collectorKeys.config,
      timePrecision: HOUR,
      minBatchSize: 1,
      maxBatchQueryCount: 1,
      reportMaxAge: 0,
      clockSkew: 60,
      dpEpsilon: undefined,
    };
    const collectorToken = toBase64Url(rnd(24));
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
    const now = Math.floor(Date.now() / 1000);
    const ms = [
      0,
      LENGTH - 1,
      1,
      1,
      ...Array.from({ length: 7 }, () => crypto.getRandomValues(new Uint32Array(1))[0]! % LENGTH),
    ];
    const reports = await threads.generate(
      {
        ...SPEC,
        id: toBase64Url(id),
        leader: leader.url,
        helper: helper.url,
        timePrecisionSeconds: HOUR,
      },
      ms,
      new Date(now * 1000),
    );
    expect(reports.length).toBe(ms.length);
    expect(new Set(reports.map((r) => toBase64Url(r.subarray(0, 16)))).size).toBe(ms.length);
    for (const b of reports) {
      const r = await fetch(`${leader.url}tasks/${toBase64Url(id)}/reports`, {
        method: 'PUT',
        headers: { 'content-type': MEDIA_TYPES.report },
        body: b as Uint8Array<ArrayBuffer>,
      });
      expect(r.status).toBe(201);
    }
    const collector = new DapCollector({
      taskId: id,
      leaderUrl: leader.url,
      token: collectorToken,
      hpke: collectorKeys,
      vdaf: SPEC,
    });
    const out = await collector.collect(
      { start: now - (now % HOUR), duration: HOUR },
      { timeoutMs: 30_000 },
    );
    expect(out.reportCount).toBe(ms.length);
    expect((out.aggregate as unknown[]).map(Number)).toEqual(
      Array.from({ length: LENGTH }, (_, b) => ms.filter((m) => m === b).length),
    );
  }, 60_000);

  it("a thread's failure (no Leader to fetch keys from) is a ClientThreadError", async () => {
    const err = await threads
      .generate(
        {
          ...SPEC,
          id: toBase64Url(rnd(32)),
          leader: 'http://127.0.0.1:9/',
          helper: 'http://127.0.0.1:9/',
          timePrecisionSeconds: HOUR,
        },
        [0, 1],
        new Date(),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientThreadError);
    expect((err as Error).message).toMatch(/^DAP client thread: /);
  }, 30_000);
});
