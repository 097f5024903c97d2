/**
 * Issue 17 item 5: a Leader's aggregation jobs leased by worker processes.
 * On PostgreSQL, two `entente dap worker` processes share a Leader's database;
 * the first pauses in its first job (a test-only hook), right after leasing it
 * or once the Helper has answered it, and is killed with SIGKILL there; the other finishes every other job, then that one once
 * its lease expires (attempt 2, same DAP job id), and the Collector gets
 * exactly the plaintext histogram: every report aggregated once. Also (on
 * PGlite, in process): a job that keeps failing is failed after the maximum
 * number of attempts and its reports are counted as rejected, never aggregated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Task } from '@divviup/dap';
import { toBase64Url } from '../../src/dap/codec.js';
import { DapCollector } from '../../src/dap/collector.js';
import { generateHpkeKeypair } from '../../src/dap/hpke.js';
import { encodeCollectionReq } from '../../src/dap/messages.js';
import { MEDIA_TYPES } from '../../src/dap/version.js';
import type { DapTask } from '../../src/dap/task.js';
import type { VdafSpec } from '../../src/dap/vdaf.js';
import { serveDap } from '../../src/node/dap/server.js';
import { openStore, type Store } from '../../src/node/store/store.js';
import { BACKENDS, freshDatabase } from './backends.js';

const BIN = fileURLToPath(new URL('../../bin/entente.js', import.meta.url));
const HOUR = 3600;
const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const randInt = (n: number): number => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
const token = (): string => toBase64Url(rnd(24));
const LENGTH = 5;
const SPEC: VdafSpec = { type: 'histogram', length: LENGTH, chunkLength: 2 };

/** A Leader (its HTTP server here, its database `leaderDb`) and a Helper, with one task. */
async function setUp(leaderDb: Store, helperDb: Store, leaderOptions: object) {
  const helper = await serveDap({ db: helperDb.db });
  const leader = await serveDap({ db: leaderDb.db, ...leaderOptions });
  const collectorKeys = await generateHpkeKeypair(9);
  const id = rnd(32);
  const common = {
    id,
    vdaf: SPEC,
    leaderUrl: leader.url,
    helperUrl: helper.url,
    verifyKey: rnd(16),
    aggregatorToken: token(),
    collectorHpkeConfig: collectorKeys.config,
    timePrecision: HOUR,
    minBatchSize: 1,
    maxBatchQueryCount: 1,
    reportMaxAge: 7 * 24 * HOUR,
    clockSkew: 60,
    dpEpsilon: undefined,
  } satisfies Partial<DapTask>;
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
  const collector = new DapCollector({
    taskId: id,
    leaderUrl: leader.url,
    token: collectorToken,
    hpke: collectorKeys,
    vdaf: SPEC,
    noisy: false,
  });
  const now = Math.floor(Date.now() / 1000);
  const interval = { start: now - (now % HOUR), duration: HOUR };
  /** Uploads the measurements through the unmodified @divviup/dap client. */
  const upload = async (ms: number[]) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const task: Task<any, any> = new Task({
      ...SPEC,
      id: toBase64Url(id),
      leader: leader.url,
      helper: helper.url,
      timePrecisionSeconds: HOUR,
    } as never);
    for (let i = 0; i < ms.length; i += 8)
      await Promise.all(
        ms.slice(i, i + 8).map((m) => task.sendMeasurement(m, { timestamp: new Date(now * 1000) })),
      );
  };
  /** One report's bytes, as the client would PUT them. */
  const reportBytes = async (m: number): Promise<Uint8Array> => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const task: Task<any, any> = new Task({
      ...SPEC,
      id: toBase64Url(id),
      leader: leader.url,
      helper: helper.url,
      timePrecisionSeconds: HOUR,
    } as never);
    return (await task.generateReport(m, { timestamp: new Date(now * 1000) })).encode();
  };
  return {
    helper,
    leader,
    collector,
    collectorToken,
    idText: toBase64Url(id),
    interval,
    upload,
    reportBytes,
  };
}

const plain = (ms: number[]) =>
  Array.from({ length: LENGTH }, (_, b) => ms.filter((m) => m === b).length);

/** Edges (first and last bucket, one value repeated) and random measurements. */
const measurements = (n: number) => [
  0,
  LENGTH - 1,
  2,
  2,
  ...Array.from({ length: n - 4 }, () => randInt(LENGTH)),
];

class Worker {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  constructor(database: string, env: Record<string, string>) {
    this.child = spawn(
      process.execPath,
      [BIN, 'dap', 'worker', '--database', database, '--job-size', '10', '--lease-ms', '4000'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    for (const s of [this.child.stdout!, this.child.stderr!])
      s.on('data', (d: Buffer) =>
        this.lines.push(...d.toString('utf8').split('\n').filter(Boolean)),
      );
  }
  /** The first output line matching re (bounded wait). */
  async waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      for (const l of this.lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (this.child.exitCode !== null || Date.now() > end)
        throw new Error(`worker: no line matching ${re} (output: ${this.lines.join(' | ')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  stop(): Promise<unknown> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    return exited;
  }
}

describe.each(BACKENDS.filter((b) => b.name === 'postgres'))(
  'DAP aggregation workers on $name',
  () => {
    const cleanup: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const f of cleanup.reverse()) await f().catch(() => undefined);
    });

    it.each([
      ['after leasing it', 'lease'],
      ["after the Helper's answer, before finishing it", 'answer'],
    ])(
      'a worker killed (kill -9) holding a job %s: another finishes it after the lease expires, every report counted once',
      async (_, point) => {
        const pg = await freshDatabase();
        cleanup.push(pg.drop);
        const leaderDb = await openStore({ kind: 'postgres', url: pg.url });
        cleanup.push(() => leaderDb.close());
        const helperDb = await openStore({ kind: 'pglite', dir: undefined });
        cleanup.push(() => helperDb.close());
        const s = await setUp(leaderDb, helperDb, { inlineAggregation: false });
        cleanup.push(
          () => s.leader.close(),
          () => s.helper.close(),
        );
        const ms = measurements(50);
        await s.upload(ms);

        // Worker A pauses after its first lease; it is killed there.
        const a = new Worker(pg.url, { ENTENTE_TEST_DAP_PAUSE_AFTER: point! });
        cleanup.push(() => a.stop());
        const leased = await a.waitFor(/paused after the \w+ of job (\S+) attempt 1/);
        const victimJob = leased[1]!;
        const b = new Worker(pg.url, {});
        cleanup.push(() => b.stop());
        const bPid = (await b.waitFor(/worker pid (\d+) running/))[1]!;
        a.child.kill('SIGKILL');
        await new Promise((r) => a.child.once('exit', r));

        const r = await s.collector.collect(s.interval, { timeoutMs: 60_000 });
        expect(r.reportCount).toBe(ms.length);
        expect(r.aggregate).toEqual(plain(ms));

        const jobs = await leaderDb.db
          .selectFrom('dap_leader_jobs')
          .select(['job_id', 'state', 'attempts', 'lease_owner', 'report_count'])
          .execute();
        expect(jobs.length).toBe(5);
        expect(jobs.every((j) => j.state === 'finished')).toBe(true);
        expect(jobs.reduce((n, j) => n + j.report_count, 0)).toBe(ms.length);
        const victim = jobs.find((j) => j.job_id === victimJob)!;
        // Leased by A (attempt 1), then by B once the lease had expired.
        expect(victim.attempts).toBe(2);
        expect(victim.lease_owner).toBe(`pid ${bPid}`);
        // Every report in exactly one job (the job's state is the report's), and each
        // job's list of report ids is exactly the reports that name it.
        const reports = await leaderDb.db
          .selectFrom('dap_reports')
          .select(['report_id', 'job_id'])
          .execute();
        expect(reports.length).toBe(ms.length);
        for (const j of jobs) {
          const listed = await leaderDb.db
            .selectFrom('dap_leader_jobs')
            .select('report_ids')
            .where('job_id', '=', j.job_id)
            .executeTakeFirstOrThrow();
          const mine = reports
            .filter((r) => r.job_id === j.job_id)
            .map((r) => toBase64Url(new Uint8Array(r.report_id)))
            .sort();
          const ids = new Uint8Array(listed.report_ids);
          const fromJob = Array.from({ length: ids.length / 16 }, (_, i) =>
            toBase64Url(ids.subarray(i * 16, i * 16 + 16)),
          ).sort();
          expect(fromJob).toEqual(mine);
          expect(mine.length).toBe(j.report_count);
        }
        // The Helper holds the job under its one id. Killed after the Helper's answer, the
        // retry (byte for byte the same request) got the stored answer again: no replays.
        const atHelper = await helperDb.db
          .selectFrom('dap_aggregation_jobs')
          .select('job_id')
          .where('job_id', '=', victimJob)
          .execute();
        expect(atHelper.length).toBe(1);
        // The retried job reached the Helper under its own id: no report refused as a replay.
        expect(await s.leader.aggregator.rejections(s.idText)).toEqual({});
        expect(await s.helper.aggregator.rejections(s.idText)).toEqual({});
        await b.stop();
      },
      120_000,
    );
  },
);

describe('DAP aggregation jobs on pglite (one worker, in process)', () => {
  // One Leader and one Helper database for both tests (each test its own task and servers).
  let dbs: Store[] = [];
  let s: Awaited<ReturnType<typeof setUp>> | undefined;
  beforeAll(async () => {
    dbs = [
      await openStore({ kind: 'pglite', dir: undefined }),
      await openStore({ kind: 'pglite', dir: undefined }),
    ];
  });
  afterAll(async () => {
    await s?.leader.close();
    await s?.helper.close();
    for (const d of dbs) await d.close();
  });

  it('uploads stored in one group: a copy of a report in the same group is refused as a replay', async () => {
    const g = await setUp(dbs[0]!, dbs[1]!, {});
    try {
      const one = await g.reportBytes(3);
      const other = await g.reportBytes(0);
      const put = (b: Uint8Array) =>
        fetch(`${g.leader.url}tasks/${g.idText}/reports`, {
          method: 'PUT',
          headers: { 'content-type': MEDIA_TYPES.report },
          body: b as Uint8Array<ArrayBuffer>,
        }).then((r) => r.status);
      // Sent together, so they arrive while one group is being written or in the next.
      const statuses = await Promise.all([put(one), put(one), put(other), put(one)]);
      expect(statuses.filter((s) => s === 201).length).toBe(2);
      expect(statuses.filter((s) => s === 400).length).toBe(2);
      expect(await g.leader.aggregator.rejections(g.idText)).toEqual({ report_replayed: 2 });
      const r = await g.collector.collect(g.interval, { timeoutMs: 30_000 });
      expect(r.aggregate).toEqual(plain([3, 0]));
    } finally {
      await g.leader.close();
      await g.helper.close();
    }
  });

  it('a job that keeps failing is failed after the maximum of attempts; its reports are rejected and counted, never aggregated', async () => {
    let helperDown = true;
    s = await setUp(dbs[0]!, dbs[1]!, {
      jobSize: 4,
      lease: { maxAttempts: 2, retryMs: 0 },
      fetch: (async (url: string, init?: RequestInit) => {
        if (helperDown && url.includes('/aggregation_jobs/')) throw new TypeError('network down');
        return fetch(url, init);
      }) as typeof fetch,
    });
    const first = measurements(6);
    await s.upload(first);
    // Two jobs (4 + 2 reports); each attempt fails (the Helper is down) until a
    // third lease of the job fails it.
    let failures = 0;
    for (let i = 0; i < 10; i++) {
      try {
        await s.leader.aggregator.aggregatePending(s.idText);
        break;
      } catch (e) {
        expect((e as Error).message).toMatch(/network down/);
        failures++;
      }
    }
    expect(failures).toBe(4);
    expect(await s.leader.aggregator.rejections(s.idText)).toEqual({ job_failed: first.length });
    // Reports after the Helper is back are aggregated; the failed ones never are.
    helperDown = false;
    const second = measurements(5);
    await s.upload(second);
    const job = toBase64Url(rnd(16));
    await s.leader.aggregator.createCollection(
      s.idText,
      job,
      s.collectorToken,
      encodeCollectionReq({ query: s.interval, aggParam: new Uint8Array(0) }),
    );
    const bytes = await s.leader.aggregator.pollCollection(s.idText, job, s.collectorToken);
    const r = await s.collector.open(bytes!);
    expect(r.reportCount).toBe(second.length);
    expect(r.aggregate).toEqual(plain(second));
  });
});
