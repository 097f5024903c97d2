/**
 * The DAP path on one machine, for the survey demos (`entente demo survey`,
 * `entente demo wellbeing`): a Leader and a Helper (each its own HTTP server
 * on 127.0.0.1 with its own in-memory PGlite database) and a Collector; every
 * simulated respondent's measurement goes through the unmodified @divviup/dap
 * client (sharded with a proof, each share HPKE-encrypted to one aggregator,
 * uploaded to the Leader over HTTP), the aggregators prepare and sum them
 * (DAP draft-09, VDAF draft-08 Prio3), and the Collector gets each task's
 * aggregate, or nothing for a batch below the task's minimum size.
 *
 * Security model as in docs/DAP.md: two non-colluding aggregators; here both
 * run in this process, which is a demonstration of the protocol, not of the
 * trust split.
 */
import { Task } from '@divviup/dap';
import { toBase64Url } from '../dap/codec.js';
import { DapCollectError, DapCollector } from '../dap/collector.js';
import { generateHpkeKeypair } from '../dap/hpke.js';
import type { DapTask } from '../dap/task.js';
import type { VdafSpec } from '../dap/vdaf.js';
import { ReportThreads, type ClientTaskSpec } from '../node/dap/client-threads.js';
import { serveDap, type RunningDap } from '../node/dap/server.js';
import { jobReports } from '../node/dap/store.js';
import { DEFAULT_WORKER_OPTIONS, runWorker } from '../node/dap/worker.js';
import { openStore, type Store } from '../node/store/store.js';

/** One DAP task of a demo: its VDAF and the measurements its clients send. */
export interface LocalDapTask<M> {
  readonly name: string;
  readonly vdaf: VdafSpec;
  readonly measurements: readonly M[];
}

export interface LocalDapOptions {
  /** Each task's minimum batch size: a smaller batch is never released. */
  readonly minBatchSize: number;
  /** Discrete Laplace noise at each aggregator (docs/DAP.md), if set. */
  readonly epsilon?: number;
  /** Reports in flight at once (per client thread). */
  readonly concurrency?: number;
  /**
   * Worker threads that make and upload the simulated respondents' reports
   * (default 2; 0: this thread), so that the client's work does not share a
   * thread with the Leader and Helper.
   */
  readonly clientThreads?: number;
  /** Reports per aggregation job (default 500). */
  readonly jobSize?: number;
  /** Called as reports are uploaded and tasks aggregated (the demos print it on stderr). */
  readonly progress?: (line: string) => void;
  /**
   * How long the Collector waits for a batch once everything is aggregated; a
   * batch not released by then is below the minimum size (default 5 s).
   */
  readonly collectWaitMs?: number;
}

export interface LocalDapResult {
  readonly name: string;
  /** The released aggregate (signed, noisy counts with DP), or undefined: batch below the minimum. */
  readonly aggregate: number[] | undefined;
  readonly reportCount: number | undefined;
}

export interface LocalDapRun {
  readonly results: LocalDapResult[];
  readonly reports: number;
  readonly uploadSeconds: number;
  readonly aggregateSeconds: number;
  readonly rejected: Record<string, number>;
}

const HOUR = 3600;
const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** Runs `f` over `items` with at most `k` in flight. */
async function pool<T>(items: readonly T[], k: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(k, items.length) }, worker));
}

export async function runLocalDap<M>(
  tasks: readonly LocalDapTask<M>[],
  o: LocalDapOptions,
): Promise<LocalDapRun> {
  const progress = o.progress ?? (() => undefined);
  const stores: Store[] = [];
  const servers: RunningDap[] = [];
  try {
    stores.push(await openStore({ kind: 'pglite', dir: undefined }));
    stores.push(await openStore({ kind: 'pglite', dir: undefined }));
    const helper = await serveDap({ db: stores[1]!.db });
    servers.push(helper);
    const jobSize = o.jobSize ?? 500;
    const leader = await serveDap({ db: stores[0]!.db, jobSize });
    servers.push(leader);
    const collectorKeys = await generateHpkeKeypair(0);
    const now = Math.floor(Date.now() / 1000);
    // Every report carries the same time, so a run that crosses the hour stays in one batch.
    const at = { timestamp: new Date(now * 1000) };
    const interval = { start: now - (now % HOUR), duration: HOUR };

    const provisioned = await Promise.all(
      tasks.map(async (t) => {
        const id = rnd(32);
        const common = {
          id,
          vdaf: t.vdaf,
          leaderUrl: leader.url,
          helperUrl: helper.url,
          verifyKey: rnd(16),
          aggregatorToken: toBase64Url(rnd(32)),
          collectorHpkeConfig: collectorKeys.config,
          timePrecision: HOUR,
          minBatchSize: o.minBatchSize,
          maxBatchQueryCount: 1,
          reportMaxAge: 7 * 24 * HOUR,
          clockSkew: 300,
          dpEpsilon: o.epsilon,
        };
        const collectorToken = toBase64Url(rnd(32));
        const leaderTask: DapTask = {
          ...common,
          role: 'leader',
          collectorToken,
          hpke: await generateHpkeKeypair(1),
        };
        await leader.aggregator.provision(leaderTask);
        await helper.aggregator.provision({
          ...common,
          role: 'helper',
          collectorToken: undefined,
          hpke: await generateHpkeKeypair(2),
        });
        const clientSpec: ClientTaskSpec = {
          ...t.vdaf,
          id: toBase64Url(id),
          leader: leader.url,
          helper: helper.url,
          timePrecisionSeconds: HOUR,
        };
        const client = new Task(clientSpec as never);
        const collector = new DapCollector({
          taskId: id,
          leaderUrl: leader.url,
          token: collectorToken,
          hpke: collectorKeys,
          vdaf: t.vdaf,
          noisy: o.epsilon !== undefined,
        });
        return { task: t, idText: toBase64Url(id), client, clientSpec, collector };
      }),
    );

    // Upload: every measurement through the client library, on client threads;
    // meanwhile a worker loop in the Leader aggregates full jobs as they fill.
    const total = provisioned.reduce((n, p) => n + p.task.measurements.length, 0);
    let done = 0;
    let lastPrint = 0;
    const t0 = performance.now();
    const report = async (final: boolean) => {
      const t = performance.now();
      if (!final && t - lastPrint < 2000) return;
      lastPrint = t;
      const rate = done / ((t - t0) / 1000);
      const jobs = await jobReports(leader.aggregator.context.db);
      progress(
        `uploaded ${done}/${total} reports (${rate.toFixed(0)}/s), ${jobs.finished} aggregated so far` +
          (final || rate === 0
            ? ''
            : `, about ${Math.ceil((total - done) / rate)} s of uploads left`),
      );
    };
    const stop = new AbortController();
    const aggregating = runWorker(
      leader.aggregator.context,
      { ...DEFAULT_WORKER_OPTIONS, jobSize, owner: 'demo', pollMs: 250, log: progress },
      stop.signal,
    );
    const threadCount = o.clientThreads ?? 2;
    const threads = threadCount > 0 ? new ReportThreads(threadCount) : undefined;
    try {
      for (const p of provisioned) {
        if (threads) {
          await threads.send(
            p.clientSpec,
            p.task.measurements,
            at.timestamp,
            o.concurrency ?? 8,
            (n) => {
              done += n;
              report(false).catch(() => undefined);
            },
          );
          continue;
        }
        await pool(p.task.measurements, o.concurrency ?? 8, async (m) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          await (p.client as Task<any, any>).sendMeasurement(m as never, at);
          done++;
          report(false).catch(() => undefined);
        });
      }
    } finally {
      await threads?.close();
      stop.abort();
      await aggregating;
    }
    await report(true);
    const uploadSeconds = (performance.now() - t0) / 1000;

    // The Leader aggregates each task's reports with the Helper, then the Collector asks.
    const t1 = performance.now();
    const results: LocalDapResult[] = [];
    for (const [i, p] of provisioned.entries()) {
      const a = await leader.aggregator.aggregatePending(p.idText);
      progress(
        `${p.task.name} (${i + 1}/${provisioned.length}): the last ${a.aggregated} reports aggregated (the rest while uploading), collecting` +
          (a.rejected ? `, ${a.rejected} rejected` : ''),
      );
      try {
        // Everything is aggregated: the poll answers at once, or never for a small batch.
        const r = await p.collector.collect(interval, {
          timeoutMs: o.collectWaitMs ?? 5000,
          pollMs: 250,
        });
        const agg = Array.isArray(r.aggregate) ? r.aggregate : [r.aggregate];
        results.push({
          name: p.task.name,
          aggregate: agg.map((x) => Number(x)),
          reportCount: r.reportCount,
        });
      } catch (e) {
        if (!(e instanceof DapCollectError) || !/not ready within/.test(e.message)) throw e;
        results.push({ name: p.task.name, aggregate: undefined, reportCount: undefined });
      }
    }
    const aggregateSeconds = (performance.now() - t1) / 1000;
    const rejected: Record<string, number> = {};
    for (const p of provisioned)
      for (const [k, n] of Object.entries(await leader.aggregator.rejections(p.idText)))
        rejected[k] = (rejected[k] ?? 0) + n;
    return { results, reports: total, uploadSeconds, aggregateSeconds, rejected };
  } finally {
    for (const s of servers.reverse()) await s.close();
    for (const s of stores) await s.close();
  }
}
