/**
 * `npm run bench -- dap [--reports N] [--length L] [--chunk C] [--concurrency K] [--backend pglite|postgres] [--workers W]
 *   [--job-size J] [--client-threads T]`:
 * the DAP Leader and Helper (each with its own in-memory PGlite, or a fresh
 * database on the PostgreSQL server of ENTENTE_BENCH_PG_URL or
 * ENTENTE_TEST_PG_URL, dropped at the end; HTTP on 127.0.0.1, in this one process) with Prio3Histogram(L) reports made by the
 * unmodified @divviup/dap client on T worker threads (client-threads.ts; 2 by
 * default, 0: on the main thread), uploaded as the client encodes them.
 * Prints the client's report generation rate,
 * uploads/s at the Leader, reports/s aggregated end to end (both aggregators'
 * preparation, the aggregation jobs, the collection), bytes per report, and the
 * plaintext baseline (summing the same one-hot vectors in JavaScript), and
 * the main thread's CPU time per report in each phase (the Leader and Helper
 * run there: on a machine shared with other work, a steadier figure than the
 * wall time).
 * `--workers 0` (the default): the Leader aggregates when the Collector polls,
 * in its process. `--workers 1` on PGlite: one worker loop in the process,
 * aggregating while reports arrive. `--workers W` on PostgreSQL: W `entente
 * dap worker` processes on the Leader's database.
 */
import { Task } from '@divviup/dap';
import { toBase64Url } from '../src/dap/codec.js';
import { DapCollector } from '../src/dap/collector.js';
import { generateHpkeKeypair } from '../src/dap/hpke.js';
import type { VdafSpec } from '../src/dap/vdaf.js';
import { serveDap } from '../src/node/dap/server.js';
import { runWorker, DEFAULT_WORKER_OPTIONS } from '../src/node/dap/worker.js';
import { ReportThreads } from '../src/node/dap/client-threads.js';
import { MEDIA_TYPES } from '../src/dap/version.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore, type Store } from '../src/node/store/store.js';

/** A fresh database on the server (its name is ours, hex), dropped by close(). */
async function postgresStore(admin: string): Promise<Store & { url: string }> {
  const name = `entente_bench_${randomBytes(6).toString('hex')}`;
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 10_000 });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const store = await openStore({ kind: 'postgres', url: u.toString() });
  return {
    ...store,
    url: u.toString(),
    close: async () => {
      await store.close();
      await run(`drop database if exists ${name} with (force)`);
    },
  };
}

function opt(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** A process.cpuUsage() difference in ms (user + system, every thread of the process; the client threads are idle then). */
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

export async function runDapBench(args: string[]): Promise<void> {
  const n = opt(args, 'reports', 500);
  const length = opt(args, 'length', 100);
  const chunk = opt(args, 'chunk', 10);
  const concurrency = opt(args, 'concurrency', 8);
  const spec: VdafSpec = { type: 'histogram', length, chunkLength: chunk };
  const bi = args.indexOf('--backend');
  const backend = bi >= 0 ? args[bi + 1] : 'pglite';
  const admin = process.env.ENTENTE_BENCH_PG_URL ?? process.env.ENTENTE_TEST_PG_URL;
  if (backend !== 'pglite' && backend !== 'postgres')
    throw new Error(`--backend must be pglite or postgres`);
  if (backend === 'postgres' && !admin)
    throw new Error('--backend postgres needs ENTENTE_BENCH_PG_URL or ENTENTE_TEST_PG_URL');
  const open = () =>
    backend === 'postgres' ? postgresStore(admin!) : openStore({ kind: 'pglite', dir: undefined });
  const workers = opt(args, 'workers', 0);
  const jobSize = opt(args, 'job-size', 1000);
  const clientThreads = opt(args, 'client-threads', 2);
  const threads = clientThreads > 0 ? new ReportThreads(clientThreads) : undefined;
  if (backend === 'pglite' && workers > 1)
    throw new Error('--workers above 1 needs --backend postgres (PGlite is one process)');
  const stores: (Store & { url?: string })[] = [await open(), await open()];
  const helper = await serveDap({ db: stores[1]!.db });
  const leader = await serveDap({
    db: stores[0]!.db,
    jobSize,
    inlineAggregation: workers === 0,
  });
  const abort = new AbortController();
  const loops: Promise<void>[] = [];
  const children: ChildProcess[] = [];
  if (workers === 1 && backend === 'pglite')
    loops.push(
      runWorker(
        leader.aggregator.context,
        { ...DEFAULT_WORKER_OPTIONS, jobSize, owner: 'bench', pollMs: 50 },
        abort.signal,
      ),
    );
  else
    for (let i = 0; i < workers; i++)
      children.push(
        spawn(
          process.execPath,
          [
            fileURLToPath(new URL('../bin/entente.js', import.meta.url)),
            'dap',
            'worker',
            '--database',
            stores[0]!.url!,
            '--job-size',
            String(jobSize),
            '--poll-ms',
            '50',
          ],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        ),
      );
  const collectorKeys = await generateHpkeKeypair(9);
  const now = Math.floor(Date.now() / 1000);
  const HOUR = 3600;
  const interval = { start: now - (now % HOUR), duration: HOUR };
  const at = { timestamp: new Date(now * 1000) };

  async function round(count: number): Promise<{
    gen: number;
    up: number;
    agg: number;
    bytes: number;
    ok: boolean;
    upCpu: number;
    aggCpu: number;
  }> {
    const id = rnd(32);
    const common = {
      id,
      vdaf: spec,
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
    const token = toBase64Url(rnd(24));
    await leader.aggregator.provision({
      ...common,
      role: 'leader',
      collectorToken: token,
      hpke: await generateHpkeKeypair(1),
    });
    await helper.aggregator.provision({
      ...common,
      role: 'helper',
      collectorToken: undefined,
      hpke: await generateHpkeKeypair(2),
    });
    const task = new Task({
      ...spec,
      id: toBase64Url(id),
      leader: leader.url,
      helper: helper.url,
      timePrecisionSeconds: HOUR,
    });
    const ms = Array.from(
      { length: count },
      () => crypto.getRandomValues(new Uint32Array(1))[0]! % length,
    );
    let t0 = performance.now();
    let reports: Uint8Array[];
    if (threads)
      reports = await threads.generate(
        {
          ...spec,
          id: toBase64Url(id),
          leader: leader.url,
          helper: helper.url,
          timePrecisionSeconds: HOUR,
        },
        ms,
        at.timestamp,
      );
    else {
      reports = [];
      for (const m of ms) reports.push(new Uint8Array((await task.generateReport(m, at)).encode()));
    }
    const gen = performance.now() - t0;
    const bytes = reports[0]!.length;
    // The client library's encoding, sent as its sendReport sends it (one PUT each).
    const url = `${leader.url}tasks/${toBase64Url(id)}/reports`;
    const send = async (b: Uint8Array) => {
      const r = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': MEDIA_TYPES.report },
        body: b as Uint8Array<ArrayBuffer>,
      });
      if (r.status !== 201) throw new Error(`upload: HTTP ${r.status} ${await r.text()}`);
    };
    let cpu = process.cpuUsage();
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < reports.length) await send(reports[next++]!);
      }),
    );
    const up = performance.now() - t0;
    const upCpu = cpuMs(process.cpuUsage(cpu));
    const collector = new DapCollector({
      taskId: id,
      leaderUrl: leader.url,
      token,
      hpke: collectorKeys,
      vdaf: spec,
    });
    cpu = process.cpuUsage();
    t0 = performance.now();
    const r = await collector.collect(interval, { timeoutMs: 600_000 });
    const agg = performance.now() - t0;
    const aggCpu = cpuMs(process.cpuUsage(cpu));
    const want = Array.from({ length }, (_, i) => ms.filter((x) => x === i).length);
    const ok = JSON.stringify((r.aggregate as unknown[]).map(Number)) === JSON.stringify(want);
    return { gen, up, agg, bytes, ok, upCpu, aggCpu };
  }

  console.log(
    `DAP (draft-09) Prio3Histogram(${length}, chunk ${chunk}), ${n} reports, Leader and Helper on ${backend} in one process, ${concurrency} uploads in flight, ` +
      (workers === 0
        ? 'aggregation on collection in the Leader'
        : `${workers} worker ${workers === 1 && backend === 'pglite' ? 'loop in the Leader' : 'process(es)'}`),
  );
  const first = await round(Math.min(20, n));
  const warm = await round(n);
  // Plaintext baseline: the same one-hot vectors summed in JavaScript.
  const vecs = Array.from({ length: n }, () => {
    const v = new Array<number>(length).fill(0);
    v[crypto.getRandomValues(new Uint32Array(1))[0]! % length] = 1;
    return v;
  });
  const t0 = performance.now();
  const acc = new Array<number>(length).fill(0);
  for (const v of vecs) for (let i = 0; i < length; i++) acc[i]! += v[i]!;
  const plain = Math.max(performance.now() - t0, 1e-3);
  const rate = (count: number, ms: number) => ((count / ms) * 1000).toFixed(0);
  console.log(
    `first call (${Math.min(20, n)} reports): generate ${rate(Math.min(20, n), first.gen)}/s, upload ${rate(Math.min(20, n), first.up)}/s, aggregate+collect ${rate(Math.min(20, n), first.agg)}/s, exact ${first.ok}`,
  );
  console.log(
    `client report generation:  ${rate(n, warm.gen)} reports/s (@divviup/dap, ${clientThreads > 0 ? `${clientThreads} worker threads` : 'main thread'})`,
  );
  console.log(
    `uploads at the Leader:     ${rate(n, warm.up)} reports/s (HPKE open, checks, inserts grouped)${workers > 0 ? ', workers aggregating meanwhile' : ''}`,
  );
  console.log(
    `aggregation + collection:  ${rate(n, warm.agg)} reports/s (both aggregators' preparation, jobs of ${jobSize}, one round)`,
  );
  console.log(
    `end to end (upload + aggregation + collection, client excluded): ${rate(n, warm.up + warm.agg)} reports/s`,
  );
  console.log(
    `CPU per report (process, all threads but the client's idle): upload ${(warm.upCpu / n).toFixed(2)} ms, aggregation + collection ${(warm.aggCpu / n).toFixed(2)} ms` +
      (workers > 0 && backend === 'postgres' ? ' (worker processes not counted)' : ''),
  );
  console.log(
    `report size: ${warm.bytes} bytes; rounds Leader-Helper per job: 1; aggregate exact: ${warm.ok}`,
  );
  console.log(
    `plaintext baseline: ${rate(n, plain)} vectors/s; ratio ${((warm.up + warm.agg) / plain).toFixed(0)}x`,
  );
  abort.abort();
  await threads?.close();
  await Promise.all(loops);
  for (const ch of children) {
    const exited = new Promise((r) => ch.once('exit', r));
    ch.kill('SIGTERM');
    await exited;
  }
  await leader.close();
  await helper.close();
  for (const s of stores) await s.close();
}
