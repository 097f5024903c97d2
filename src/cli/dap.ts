/**
 * `entente dap ...`: DAP tasks and aggregators (docs/DAP.md).
 *
 *   entente dap task new --vdaf V --leader URL --helper URL --out DIR [batch options]
 *   entente dap task new --survey FILE --leader URL --helper URL --out DIR [batch options]
 *       a new task: id, VDAF verification key, bearer tokens and HPKE keys for
 *       both aggregators and the Collector, written as DIR/leader.json,
 *       DIR/helper.json, DIR/collector.json (secret, mode 0600) and
 *       DIR/client.json (public: what a client's @divviup/dap Task takes);
 *       with --survey, the questions (JSON, src/dap/survey.ts) go into the
 *       Leader's task, the VDAF is the histogram of their combinations, and
 *       the Leader serves the survey page at LEADER/surveys/TASK/
 *   entente dap provision --dir DIR [--database URL] --task FILE
 *   entente dap serve --dir DIR [--database URL] [--host H] [--port P] [--workers N]
 *       [--job-size N] [--lease-ms MS] [--max-attempts N]
 *   entente dap worker --database URL [--job-size N] [--lease-ms MS]
 *       [--max-attempts N] [--poll-ms MS]
 *   entente dap collect --collector FILE --start T --duration S [--timeout-ms T]
 *   entente dap rejections --dir DIR [--database URL] --task ID
 *
 * An aggregator's database is PGlite under DIR/database, or the PostgreSQL
 * server named by --database.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '../dap/codec.js';
import { DapCollector } from '../dap/collector.js';
import { generateHpkeKeypair } from '../dap/hpke.js';
import { parseSurvey, surveyVdaf, SurveyError, type Survey } from '../dap/survey.js';
import { taskFromJson, taskToJson, DapTaskError, type DapTask } from '../dap/task.js';
import type { VdafSpec } from '../dap/vdaf.js';
import { DapAggregator } from '../node/dap/aggregator.js';
import { serveDap } from '../node/dap/server.js';
import { surveyRoutes } from '../node/dap/survey-pages.js';
import type { Lease } from '../node/dap/leader-jobs.js';
import { DEFAULT_WORKER_OPTIONS, runWorker, type WorkerOptions } from '../node/dap/worker.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { openStore, type StoreLocation } from '../node/store/store.js';
import { signalExit, UsageError } from './exit.js';

type Named = ReadonlyMap<string, string>;

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** count | sum:BITS | sumvec:LENGTH:BITS:CHUNK | histogram:LENGTH:CHUNK */
export function parseVdafFlag(s: string): VdafSpec {
  const [kind, ...args] = s.split(':');
  const n = args.map((a) => Number(a));
  const ok = (k: number) => n.length === k && n.every((x) => Number.isSafeInteger(x) && x > 0);
  if (kind === 'count' && ok(0)) return { type: 'count' };
  if (kind === 'sum' && ok(1) && n[0]! <= 64) return { type: 'sum', bits: n[0]! };
  if (kind === 'sumvec' && ok(3) && n[1]! <= 64)
    return { type: 'sumVec', length: n[0]!, bits: n[1]!, chunkLength: n[2]! };
  if (kind === 'histogram' && ok(2))
    return { type: 'histogram', length: n[0]!, chunkLength: n[1]! };
  throw new UsageError(
    `dap: --vdaf ${s}: expected count, sum:BITS, sumvec:LENGTH:BITS:CHUNK or histogram:LENGTH:CHUNK`,
  );
}

function int(named: Named, flag: string, dflt: number, min = 1): number {
  const v = named.get(flag);
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isSafeInteger(x) || x < min)
    throw new UsageError(`dap: --${flag} must be an integer >= ${min}, got ${v}`);
  return x;
}

function need(named: Named, flag: string): string {
  const v = named.get(flag);
  if (v === undefined) throw new UsageError(`dap: --${flag} is required`);
  return v;
}

async function location(named: Named): Promise<StoreLocation> {
  const db = named.get('database');
  if (db !== undefined && /^postgres(ql)?:\/\//.test(db)) return { kind: 'postgres', url: db };
  if (db !== undefined && db !== 'embedded')
    throw new UsageError(`dap: --database must be 'embedded' or a postgres:// URL`);
  const dir = join(need(named, 'dir'), 'database');
  await mkdir(dir, { recursive: true });
  return { kind: 'pglite', dir };
}

async function readTask(file: string): Promise<DapTask> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return taskFromJson(text);
  } catch (e) {
    if (e instanceof DapTaskError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

async function readSurvey(file: string): Promise<Survey> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: ${code ? `cannot read (${code})` : (e as Error).message}`);
  }
  try {
    return parseSurvey(json);
  } catch (e) {
    if (e instanceof SurveyError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

async function newTask(named: Named): Promise<number> {
  const surveyFile = named.get('survey');
  const survey = surveyFile === undefined ? undefined : await readSurvey(surveyFile);
  if (survey && named.has('vdaf'))
    throw new UsageError(
      'dap: --survey sets the VDAF (a histogram of the combinations of answers); drop --vdaf',
    );
  const vdaf = survey ? surveyVdaf(survey) : parseVdafFlag(need(named, 'vdaf'));
  const out = need(named, 'out');
  const epsilon = named.get('epsilon');
  const dp = epsilon === undefined ? undefined : Number(epsilon);
  if (dp !== undefined && !(dp > 0 && dp <= 64))
    throw new UsageError(`dap: --epsilon must be in (0, 64], got ${epsilon}`);
  const collector = await generateHpkeKeypair(0);
  const base = {
    id: rnd(32),
    vdaf,
    leaderUrl: need(named, 'leader'),
    helperUrl: need(named, 'helper'),
    verifyKey: rnd(16),
    aggregatorToken: toBase64Url(rnd(32)),
    collectorHpkeConfig: collector.config,
    timePrecision: int(named, 'time-precision', 3600),
    minBatchSize: int(named, 'min-batch-size', 100),
    maxBatchQueryCount: int(named, 'max-batch-query-count', 1),
    reportMaxAge: int(named, 'report-max-age', 7 * 24 * 3600, 0),
    clockSkew: 300,
    dpEpsilon: dp,
  };
  const collectorToken = toBase64Url(rnd(32));
  const leader: DapTask = {
    ...base,
    role: 'leader',
    collectorToken,
    hpke: await generateHpkeKeypair(1),
    ...(survey ? { survey } : {}),
  };
  const helper: DapTask = {
    ...base,
    role: 'helper',
    collectorToken: undefined,
    hpke: await generateHpkeKeypair(2),
  };
  // Round-trip through the parser: what is written is what an aggregator will accept.
  const leaderJson = taskToJson(taskFromJson(taskToJson(leader)));
  const helperJson = taskToJson(taskFromJson(taskToJson(helper)));
  const id = toBase64Url(base.id);
  await mkdir(out, { recursive: true });
  const secret = { mode: 0o600 } as const;
  await writeFile(join(out, 'leader.json'), `${leaderJson}\n`, secret);
  await writeFile(join(out, 'helper.json'), `${helperJson}\n`, secret);
  await writeFile(
    join(out, 'collector.json'),
    `${JSON.stringify(
      {
        id,
        vdaf,
        leader_url: leader.leaderUrl,
        collector_token: collectorToken,
        hpke_config_id: collector.config.id,
        hpke_public_key: toBase64Url(collector.config.publicKey),
        hpke_private_key: toBase64Url(collector.privateKey),
        dp: dp !== undefined,
      },
      null,
      2,
    )}\n`,
    secret,
  );
  await writeFile(
    join(out, 'client.json'),
    `${JSON.stringify({ ...vdaf, id, leader: leader.leaderUrl, helper: leader.helperUrl, timePrecisionSeconds: base.timePrecision }, null, 2)}\n`,
  );
  console.log(
    `task ${id}: ${out}/leader.json and ${out}/helper.json go to the aggregators ('entente dap provision'), ` +
      `${out}/collector.json to the Collector, ${out}/client.json to clients (new Task(...) of @divviup/dap)` +
      (survey
        ? `; the survey page will be ${new URL(`surveys/${id}/`, leader.leaderUrl).href}`
        : ''),
  );
  return 0;
}

async function withAggregator<T>(named: Named, f: (a: DapAggregator) => Promise<T>): Promise<T> {
  const store = await openStore(await location(named));
  try {
    return await f(new DapAggregator({ db: store.db }));
  } finally {
    await store.close();
  }
}

async function collect(named: Named): Promise<number> {
  const file = need(named, 'collector');
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${file}: not a collector file (${(e as Error).message})`);
  }
  const str = (k: string): string => {
    if (typeof c[k] !== 'string') throw new UsageError(`${file}: ${k} must be a string`);
    return c[k] as string;
  };
  let taskId: Uint8Array;
  let publicKey: Uint8Array;
  let privateKey: Uint8Array;
  let vdaf: VdafSpec;
  try {
    taskId = fromBase64Url(str('id'), 32, 'id');
    publicKey = fromBase64Url(str('hpke_public_key'), 32, 'hpke_public_key');
    privateKey = fromBase64Url(str('hpke_private_key'), 32, 'hpke_private_key');
    vdaf = (await import('../dap/task.js')).parseVdafSpec(c.vdaf);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const { KEM, KDF, AEAD } = await import('../dap/hpke.js');
  const collector = new DapCollector({
    taskId,
    leaderUrl: str('leader_url'),
    token: str('collector_token'),
    hpke: {
      config: { id: Number(c.hpke_config_id), kemId: KEM, kdfId: KDF, aeadId: AEAD, publicKey },
      privateKey,
    },
    vdaf,
    noisy: c.dp === true,
  });
  const r = await collector.collect(
    { start: int(named, 'start', 0, 0), duration: int(named, 'duration', 3600) },
    { timeoutMs: int(named, 'timeout-ms', 60_000) },
  );
  console.log(
    JSON.stringify(
      { report_count: r.reportCount, interval: r.interval, aggregate: r.aggregate },
      (_, v) => (typeof v === 'bigint' ? v.toString() : v),
    ),
  );
  return 0;
}

export async function dapCommand(positional: readonly string[], named: Named): Promise<number> {
  const [sub, sub2] = positional;
  if (sub === 'task' && sub2 === 'new') return newTask(named);
  if (sub === 'provision') {
    const task = await readTask(need(named, 'task'));
    await withAggregator(named, (a) => a.provision(task));
    console.log(`task ${toBase64Url(task.id)} provisioned as ${task.role}`);
    return 0;
  }
  if (sub === 'rejections') {
    const counts = await withAggregator(named, (a) => a.rejections(need(named, 'task')));
    console.log(JSON.stringify(counts));
    return 0;
  }
  if (sub === 'collect') return collect(named);
  if (sub === 'serve') return serve(named);
  if (sub === 'worker') return worker(named);
  throw new UsageError(
    "dap: expected 'task new', 'provision', 'serve', 'worker', 'collect' or 'rejections'",
  );
}

/** The lease and job options of `serve` and `worker` (docs/DAP.md, "Workers and leases"). */
function workerOptions(named: Named, owner: string): WorkerOptions {
  // Test hook (test/node/dap-workers.test.ts): ENTENTE_TEST_DAP_PAUSE_AFTER=lease|answer
  // makes the worker, at that point of its first job (leased; answered by the Helper),
  // say which job it holds and pause, so that a test can kill it at that moment.
  const point = process.env.ENTENTE_TEST_DAP_PAUSE_AFTER;
  let paused = false;
  const pause = async (l: Lease) => {
    if (paused) return;
    paused = true;
    console.log(
      `dap worker ${owner}: paused after the ${point} of job ${l.jobId} attempt ${l.attempts}`,
    );
    await new Promise((r) => setTimeout(r, 600_000));
  };
  return {
    ...DEFAULT_WORKER_OPTIONS,
    jobSize: int(named, 'job-size', DEFAULT_WORKER_OPTIONS.jobSize),
    leaseMs: int(named, 'lease-ms', DEFAULT_WORKER_OPTIONS.leaseMs),
    maxAttempts: int(named, 'max-attempts', DEFAULT_WORKER_OPTIONS.maxAttempts),
    owner,
    log: (l) => console.error(l),
    ...(point === 'lease' ? { afterLease: pause } : {}),
    ...(point === 'answer' ? { afterHelperAnswer: pause } : {}),
  };
}

/** Runs until SIGINT or SIGTERM, then stops `stop` and returns the signal's exit code. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise<number>((done) => {
    const on = (sig: NodeJS.Signals) => void stop().then(() => done(signalExit(sig)));
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

async function worker(named: Named): Promise<number> {
  if (!/^postgres(ql)?:\/\//.test(named.get('database') ?? ''))
    throw new UsageError(
      'dap worker: needs --database postgres://... (a PGlite database is one process: use dap serve --workers 1)',
    );
  const store = await openStore(await location(named));
  const agg = new DapAggregator({ db: store.db });
  const o = workerOptions(named, `pid ${process.pid}`);
  const abort = new AbortController();
  const loop = runWorker(agg.context, { ...o, pollMs: int(named, 'poll-ms', 250) }, abort.signal);
  console.log(`DAP aggregation worker pid ${process.pid} running`);
  return untilSignal(async () => {
    abort.abort();
    await loop;
    await store.close();
  });
}

async function serve(named: Named): Promise<number> {
  const loc = await location(named);
  const workers = int(named, 'workers', 0, 0);
  if (loc.kind === 'pglite' && workers > 1)
    throw new UsageError(
      'dap serve: --workers above 1 needs PostgreSQL (--database postgres://...): PGlite is one process',
    );
  const store = await openStore(loc);
  const port = int(named, 'port', 8080, 0);
  const o = workerOptions(named, `pid ${process.pid}`);
  let server;
  try {
    server = await serveDap({
      db: store.db,
      port,
      jobSize: o.jobSize,
      lease: o,
      // With workers, collection polls only wait for them.
      inlineAggregation: workers === 0,
      ...(named.has('host') ? { host: named.get('host')! } : {}),
      log: (l) => console.error(l),
      routes: surveyRoutes({ db: store.db }),
    });
  } catch (e) {
    await store.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new UsageError(`dap serve: cannot listen on port ${port}: ${code}`);
    throw e;
  }
  const abort = new AbortController();
  let inProcess: Promise<void> | undefined;
  const children: ChildProcess[] = [];
  if (loc.kind === 'pglite' && workers === 1)
    inProcess = runWorker(server.aggregator.context, { ...o, pollMs: 250 }, abort.signal);
  else
    for (let i = 0; i < workers; i++) {
      const args = ['dap', 'worker', '--database', named.get('database')!];
      for (const f of ['job-size', 'lease-ms', 'max-attempts'])
        if (named.has(f)) args.push(`--${f}`, named.get(f)!);
      children.push(
        spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
          stdio: 'inherit',
        }),
      );
    }
  const tasks = await server.aggregator.listTasks();
  console.log(
    `DAP aggregator at ${server.url} (${tasks.length} task(s), ${workers === 0 ? 'aggregating on collection' : `${workers} worker(s)`})`,
  );
  return untilSignal(async () => {
    abort.abort();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all([
      inProcess,
      ...children.map((c) =>
        c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
      ),
    ]);
    await server.close();
    await store.close();
  });
}
