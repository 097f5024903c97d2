/**
 * The party-node benchmark: three hospital nodes (src/node) on this machine,
 * per storage backend.
 *
 *   npm run bench -- node [--backend pglite|postgres|both] [--rows 10000]
 *                         [--seconds 5] [--connections 10] [--rounds 5]
 *
 * PostgreSQL needs a server URL in ENTENTE_BENCH_PG_URL or ENTENTE_TEST_PG_URL
 * (a role that may create databases); each node gets a fresh database there,
 * dropped at the end. Without a URL only PGlite runs (the default backend).
 *
 * Per backend it prints:
 * 1. API latency (p50, p99) and requests/s of GET /v1/datasets, GET /v1/proposals
 *    and POST /v1/proposals (which also sends the proposal to the 2 peer nodes),
 *    from autocannon in a child process over keep-alive TLS connections, beside
 *    the first request of each (a new user's token, a new pinned TLS
 *    connection) and a second one on a new connection; GET /v1/proposals again
 *    once the POSTs have added their proposals;
 * 2. audit appends per second (appendAudit on a fresh store of the backend, on
 *    disk as a node keeps it), one at a time and 8 at once;
 * 3. the bundled study (examples/hospitals/study.yaml, every analysis) through
 *    the platform, from POST /v1/proposals through every owner's approval to
 *    the run released at every node, beside the one-shot `entente study`
 *    (bin/entente.js) on the same files, in alternating rounds: the time the
 *    platform adds, and where it goes.
 *
 * The three nodes run in this process (startLocalNodes, as the demo and the
 * tests run them); each run's parties are child processes, as in production.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeClient } from '../src/node/client.js';
import type { RunEvent } from '../src/node/runs.js';
import type { Proposal as StoredProposal } from '../src/node/store/schema.js';
import type { StoreLocation } from '../src/node/store/store.js';

const STUDY = 'examples/hospitals/study.yaml';
const THIS_FILE = fileURLToPath(import.meta.url);
/** Set in the load generator's child process: its request, as JSON. */
const LOADGEN_ENV = 'ENTENTE_BENCH_NODE_LOADGEN';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const ms = (s: number) => (Number.isNaN(s) ? '-' : s.toFixed(s < 10 ? 1 : 0));
const sec = (s: number) => s.toFixed(2);

// ---------------------------------------------------------------- load generator

interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly token: string;
  readonly body?: string;
  readonly connections: number;
  readonly seconds: number;
}

interface LoadResult {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  /** Completed requests per second, over the whole run. */
  readonly rps: number;
  readonly total: number;
  /** Response bytes (headers and body) per request. */
  readonly bytes: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statuses: Record<string, number>;
}

/** The part of autocannon 8's programmatic API used here (it ships no types). */
type Autocannon = (o: Record<string, unknown>) => Promise<{
  latency: { p50: number; p99: number; mean: number; max: number };
  requests: { total: number };
  throughput: { total: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}>;

/** In the child process: one autocannon run, its figures as JSON on stdout. */
async function loadgenChild(spec: LoadSpec): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const r = await autocannon({
    url: spec.url,
    method: spec.method,
    connections: spec.connections,
    duration: spec.seconds,
    headers: {
      authorization: `Bearer ${spec.token}`,
      accept: 'application/json',
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    // Benchmark only: the nodes' certificates are self-signed and autocannon cannot pin a
    // fingerprint (it connects with rejectUnauthorized: false whatever it is given; said here
    // explicitly). Real clients pin (NodeClient, src/node/pinned-https.ts).
    tlsOptions: { rejectUnauthorized: false },
  });
  const statuses: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.statusCodeStats ?? {})) statuses[k] = v.count;
  const out: LoadResult = {
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.mean,
    max: r.latency.max,
    rps: r.requests.total / r.duration,
    total: r.requests.total,
    bytes: r.throughput.total / Math.max(1, r.requests.total),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
  };
  process.stdout.write(JSON.stringify(out));
}

/**
 * Runs autocannon in a child process, so that the load generator does not
 * share the nodes' event loop (on two cores it still shares the machine).
 */
function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE], {
      env: { ...process.env, [LOADGEN_ENV]: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`load generator exited with status ${code}`));
      try {
        done(JSON.parse(out) as LoadResult);
      } catch {
        fail(new Error(`load generator printed no result: ${out.slice(0, 300)}`));
      }
    });
  });
}

// ---------------------------------------------------------------- PostgreSQL

/** A fresh database in the server named by `adminUrl` (as test/node/backends.ts makes them). */
async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  const name = `entente_bench_${randomBytes(6).toString('hex')}`;
  // The name is ours (hex), never user input; identifiers cannot be bound parameters.
  await admin(`create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

// ---------------------------------------------------------------- the benchmark

type Backend = 'pglite' | 'postgres';

interface ApiRow {
  readonly label: string;
  readonly first: number;
  readonly second: number;
  readonly load: LoadResult;
}

interface AuditRow {
  readonly label: string;
  readonly n: number;
  readonly seconds: number;
  readonly first: number;
}

interface StudyRound {
  readonly oneShot: { wall: number; firstAnalysis: number; engine: number };
  readonly platform: {
    wall: number;
    proposed: number;
    approved: number;
    running: number;
    firstAnalysis: number;
    /** From the first node's release to the last's. */
    spread: number;
    engine: number;
  };
}

interface Figures {
  readonly backend: Backend;
  readonly start: number;
  readonly api: ApiRow[];
  readonly audit: AuditRow[];
  readonly study: StudyRound[];
  /** Load averages (1 min) when the backend's measurements started and ended. */
  readonly load: [number, number];
  readonly analyses: number;
}

/** `entente study` on the bundled study and these files (every party a process): its timings. */
async function oneShot(
  dataDir: string,
  outDir: string,
): Promise<{ wall: number; firstAnalysis: number; engine: number }> {
  const t0 = performance.now();
  let first = NaN;
  // bin/entente.js is the `entente` command (tsx's loader registered in-process), the same
  // entry a node starts its run's party with.
  const child = spawn(
    process.execPath,
    ['bin/entente.js', 'study', STUDY, '--data-dir', dataDir, '--out', outDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (Number.isNaN(first) && /^ {2}analysis 1\//m.test(d)) first = performance.now();
    stderr += d;
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const wall = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`entente study failed (exit ${code}):\n${stderr}`);
  const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as {
    seconds: number;
  };
  return { wall, firstAnalysis: (first - t0) / 1000, engine: report.seconds };
}

async function benchBackend(
  backend: Backend,
  rows: number,
  pgUrl: string | undefined,
  connections: number,
  seconds: number,
  rounds: number,
): Promise<Figures> {
  const load0 = loadavg()[0]!;
  const { parse, stringify } = await import('yaml');
  const { HOSPITALS } = await import('../src/apps/hospitals.js');
  const { writeHospitals } = await import('../src/cli/study.js');
  const { NodeClient: Client } = await import('../src/node/client.js');
  const { addLocalUser, initLocalNodes, startLocalNodes } = await import('../src/node/local.js');
  const { runIdOf } = await import('../src/node/runs.js');
  const { appendAudit } = await import('../src/node/audit.js');
  const { signerFromPem } = await import('../src/node/signer.js');
  const { openStore } = await import('../src/node/store/store.js');
  type Proposal = { id: string; hash: string; unreached: string[] };

  const root = await mkdtemp(join(tmpdir(), `entente-bench-node-${backend}-`));
  const drops: (() => Promise<void>)[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const databases: (string | undefined)[] = [];
    for (let i = 0; i < HOSPITALS.length; i++) {
      if (backend === 'pglite') databases.push(undefined);
      else {
        const db = await freshDatabase(pgUrl!);
        drops.push(db.drop);
        databases.push(db.url);
      }
    }
    const dirs = await initLocalNodes(
      join(root, 'nodes'),
      HOSPITALS.map((h, i) => ({
        id: h.id,
        name: h.name,
        ...(databases[i] ? { database: databases[i] } : {}),
      })),
    );
    const owners = [];
    for (const d of dirs) owners.push(new Client(await addLocalUser(d, 'owner', 'owner')));
    const analyst = new Client(await addLocalUser(dirs[0]!, 'analyst', 'analyst'));
    // One more analyst per endpoint, so that each endpoint's first request also pays for the
    // token's first check (scrypt; the node then keeps it for a minute).
    const fresh: NodeClient[] = [];
    for (const n of ['first-datasets', 'first-proposals', 'first-submit'])
      fresh.push(new Client(await addLocalUser(dirs[0]!, n, 'analyst')));

    const dataDir = join(root, 'data');
    const files = await writeHospitals(dataDir, rows);
    const t0 = performance.now();
    const nodes = await startLocalNodes(dirs, () => undefined);
    const start = (performance.now() - t0) / 1000;
    closers.push(async () => {
      await Promise.all(nodes.map((n) => n.close()));
    });

    // The bundled study, as the one-shot runs it and as an analyst proposes it to the nodes.
    const doc = parse(await readFile(STUDY, 'utf8')) as {
      parties: { id: string; name?: string }[];
      schema: unknown;
      analyses: { id: string; type: string }[];
    };
    const bundled = stringify({
      ...doc,
      parties: doc.parties.map((p) => ({
        id: p.id,
        name: p.name,
        data: 'patients',
        format: 'csv',
      })),
    });
    const small = stringify({
      ...doc,
      study: 'Patients per arm',
      parties: doc.parties.map((p) => ({ id: p.id, data: 'patients', format: 'csv' })),
      analyses: [{ id: 'patients', type: 'count', by: 'arm' }],
    });
    for (const [i, o] of owners.entries())
      await o.post('/v1/datasets', {
        name: 'patients',
        path: files[i],
        schema: doc.schema,
        budget: { epsilon: 1000, delta: 0.5 },
      });

    // ---- 1. API
    const timed = async (f: () => Promise<unknown>) => {
      const s = performance.now();
      await f();
      return performance.now() - s;
    };
    const endpoints = [
      { label: 'GET /v1/datasets', method: 'GET' as const, path: '/v1/datasets' },
      { label: 'GET /v1/proposals', method: 'GET' as const, path: '/v1/proposals' },
      {
        label: 'POST /v1/proposals (to 2 peers)',
        method: 'POST' as const,
        path: '/v1/proposals',
        body: { study: small },
      },
    ];
    const firsts: { first: number; second: number }[] = [];
    for (const [i, e] of endpoints.entries()) {
      const c = fresh[i]!;
      const call = () => (e.body ? c.post(e.path, e.body) : c.get(e.path));
      firsts.push({ first: await timed(call), second: await timed(call) });
    }
    const api: ApiRow[] = [];
    const listing = async () => (await analyst.get<unknown[]>('/v1/proposals')).length;
    // GET /v1/proposals answers with every proposal and decision: timed again once the POSTs
    // have added theirs.
    const runs = [...endpoints.entries(), [1, endpoints[1]!] as const];
    for (const [n, [i, e]] of runs.entries()) {
      const listed = e.path === '/v1/proposals' && e.method === 'GET' ? await listing() : 0;
      const label = listed > 0 ? `${e.label} (${listed} listed)` : e.label;
      process.stderr.write(`  ${backend}: ${label}, ${connections} connections, ${seconds} s\n`);
      const r = await load({
        url: `${nodes[0]!.url}${e.path}`,
        method: e.method,
        token: analyst.profile.token,
        ...(e.body ? { body: JSON.stringify(e.body) } : {}),
        connections,
        seconds,
      });
      api.push({ label, ...(n === i ? firsts[i]! : { first: NaN, second: NaN }), load: r });
    }

    // ---- 3. the bundled study: platform against the one-shot command
    const study: StudyRound[] = [];
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`  ${backend}: study round ${round + 1}: one-shot\n`);
      const one = await oneShot(dataDir, join(root, `report-${round}`));
      process.stderr.write(`  ${backend}: study round ${round + 1}: platform\n`);
      const s = performance.now();
      let runId = '';
      const running = new Map<string, number>();
      const ended = new Map<string, { at: number; state: string; reason?: string }>();
      let firstAnalysis = NaN;
      let allEnded!: () => void;
      const finished = new Promise<void>((r) => (allEnded = r));
      const listeners = nodes.map((n) => {
        const id = n.node.config.id;
        const f = (e: RunEvent) => {
          if (e.run !== runId) return;
          const at = performance.now();
          if (e.state === 'running' && e.line === undefined && !running.has(id))
            running.set(id, at);
          if (e.line?.startsWith('analysis 1/') && Number.isNaN(firstAnalysis)) firstAnalysis = at;
          if (e.state === 'released' || e.state === 'failed') {
            ended.set(id, { at, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
            if (ended.size === nodes.length) allEnded();
          }
        };
        n.node.runner.events.on('run', f);
        return () => n.node.runner.events.off('run', f);
      });
      try {
        const p = await analyst.post<Proposal>('/v1/proposals', { study: bundled });
        runId = runIdOf(p as unknown as StoredProposal);
        const proposed = performance.now();
        if (p.unreached.length > 0) throw new Error(`proposal did not reach ${p.unreached}`);
        for (const o of owners) await o.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
        const approved = performance.now();
        const timeout = setTimeout(allEnded, 600_000);
        await finished;
        clearTimeout(timeout);
        const bad = [...ended.entries()].filter(([, v]) => v.state !== 'released');
        if (ended.size < nodes.length || bad.length > 0)
          throw new Error(
            `the run did not release at every node: ${JSON.stringify([...ended.entries()])}`,
          );
        const ends = [...ended.values()].map((v) => v.at);
        const end = Math.max(...ends);
        const result = await analyst.get<{ outcome: { seconds: number } }>(`/v1/results/${runId}`);
        study.push({
          oneShot: one,
          platform: {
            wall: (end - s) / 1000,
            proposed: (proposed - s) / 1000,
            approved: (approved - s) / 1000,
            running: (Math.max(...running.values()) - s) / 1000,
            firstAnalysis: (firstAnalysis - s) / 1000,
            spread: (end - Math.min(...ends)) / 1000,
            engine: result.outcome.seconds,
          },
        });
      } finally {
        for (const off of listeners) off();
      }
    }

    await closers.pop()!();

    // ---- 2. audit appends, on a store of their own (the nodes are stopped by now)
    let where: StoreLocation;
    if (backend === 'pglite') where = { kind: 'pglite', dir: join(root, 'audit-db') };
    else {
      const db = await freshDatabase(pgUrl!);
      drops.push(db.drop);
      where = { kind: 'postgres', url: db.url };
    }
    const store = await openStore(where);
    const audit: AuditRow[] = [];
    try {
      const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const signer = signerFromPem('bench', key);
      let seq = 0;
      const append = () =>
        appendAudit(store.db, signer, {
          kind: 'bench.append',
          actor: 'user:bench',
          body: { n: ++seq, note: 'an entry of about the size a request refusal records' },
        });
      const first = await timed(append);
      const N = 2000;
      const s1 = performance.now();
      for (let i = 0; i < N; i++) await append();
      audit.push({ label: 'one at a time', n: N, seconds: (performance.now() - s1) / 1000, first });
      const s2 = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < N / 8; i++) await append();
        }),
      );
      audit.push({ label: '8 at once', n: N, seconds: (performance.now() - s2) / 1000, first });
    } finally {
      await store.close();
    }
    return {
      backend,
      start,
      api,
      audit,
      study,
      load: [load0, loadavg()[0]!],
      analyses: doc.analyses.length,
    };
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    for (const d of drops) await d().catch((e: Error) => console.error(`drop: ${e.message}`));
    await rm(root, { recursive: true, force: true });
  }
}

function print(f: Figures, rows: number, connections: number, seconds: number): void {
  const what =
    f.backend === 'pglite'
      ? 'PGlite (embedded; each node its own database folder, in this process)'
      : 'PostgreSQL (each node a fresh database on the server, pool of 8 connections)';
  console.log(`\n== ${f.backend}: ${what}`);
  console.log(`three nodes started in ${sec(f.start)} s (open, migrate, listen)`);
  console.log(
    `\nAPI at hospital-a: autocannon in a child process, ${connections} keep-alive TLS connections for ${seconds} s;` +
      `\nthe three nodes share this process. "first": a new user's first request (scrypt token check)` +
      `\non a new pinned TLS connection; "2nd": the next one, also on a new connection.`,
  );
  console.log(
    `  ${'request'.padEnd(38)} ${'first ms'.padStart(9)} ${'2nd ms'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'req/s'.padStart(7)} ${'requests'.padStart(9)} ${'B/answer'.padStart(9)} ${'non-2xx'.padStart(8)}`,
  );
  for (const a of f.api) {
    const l = a.load;
    console.log(
      `  ${a.label.padEnd(38)} ${ms(a.first).padStart(9)} ${ms(a.second).padStart(7)} ${ms(l.p50).padStart(7)} ${ms(l.p99).padStart(7)} ${l.rps.toFixed(0).padStart(7)} ${String(l.total).padStart(9)} ${l.bytes.toFixed(0).padStart(9)} ${String(l.non2xx + l.errors + l.timeouts).padStart(8)}`,
    );
    if (l.non2xx + l.errors + l.timeouts > 0)
      console.log(
        `    statuses ${JSON.stringify(l.statuses)}, errors ${l.errors}, timeouts ${l.timeouts}`,
      );
  }
  console.log(`\naudit appends (appendAudit: hash, ECDSA signature, insert, head update, commit)`);
  console.log(
    `  ${'mode'.padEnd(16)} ${'appends'.padStart(8)} ${'s'.padStart(6)} ${'appends/s'.padStart(10)} ${'first ms'.padStart(9)}`,
  );
  for (const a of f.audit)
    console.log(
      `  ${a.label.padEnd(16)} ${String(a.n).padStart(8)} ${sec(a.seconds).padStart(6)} ${(a.n / a.seconds).toFixed(0).padStart(10)} ${ms(a.first).padStart(9)}`,
    );
  const st = f.study;
  console.log(
    `\nbundled study (${STUDY}, all ${f.analyses} analyses), 3 x ${rows} rows: the one-shot \`entente study\`` +
      `\n(bin/entente.js: a launcher process, fresh keys, three party processes) against the platform` +
      `\n(POST /v1/proposals, the three owners' approvals one after the other, the run released at every node;` +
      `\nrelease times from the nodes' run events, in this process). "engine": the study's own seconds at` +
      `\nhospital-a (outcome.seconds: linked parties, data loaded, every analysis); "other": wall - engine.`,
  );
  console.log(
    `  ${'round'.padEnd(6)} ${'one-shot s'.padStart(10)} ${'engine'.padStart(7)} ${'other'.padStart(6)} | ${'platform s'.padStart(10)} ${'engine'.padStart(7)} ${'other'.padStart(6)} | ${'added s'.padStart(8)} ${'other'.padStart(6)} ${'x one-shot'.padStart(10)}`,
  );
  const added = (r: StudyRound) => ({
    wall: r.platform.wall - r.oneShot.wall,
    other: r.platform.wall - r.platform.engine - (r.oneShot.wall - r.oneShot.engine),
    ratio: r.platform.wall / r.oneShot.wall,
  });
  const row = (label: string, r: StudyRound, a: ReturnType<typeof added>) => {
    const o = r.oneShot;
    const p = r.platform;
    console.log(
      `  ${label.padEnd(6)} ${sec(o.wall).padStart(10)} ${sec(o.engine).padStart(7)} ${sec(o.wall - o.engine).padStart(6)} | ${sec(p.wall).padStart(10)} ${sec(p.engine).padStart(7)} ${sec(p.wall - p.engine).padStart(6)} | ${sec(a.wall).padStart(8)} ${sec(a.other).padStart(6)} ${a.ratio.toFixed(2).padStart(10)}`,
    );
  };
  for (const [i, r] of st.entries()) row(String(i + 1), r, added(r));
  // Each column's median over the rounds (so the row is not one round's).
  if (st.length > 2) {
    const as = st.map(added);
    row('median', medianRound(st), {
      wall: median(as.map((a) => a.wall)),
      other: median(as.map((a) => a.other)),
      ratio: median(as.map((a) => a.ratio)),
    });
  }
  console.log(
    `  platform phases, seconds since the POST (round ${st.map((_, i) => i + 1).join(', ')}):` +
      `\n    proposal recorded at the 3 nodes  ${st.map((r) => sec(r.platform.proposed)).join(', ')}` +
      `\n    3 approvals returned              ${st.map((r) => sec(r.platform.approved)).join(', ')}` +
      `\n    run 'running' at every node       ${st.map((r) => sec(r.platform.running)).join(', ')}` +
      `\n    first analysis starts             ${st.map((r) => sec(r.platform.firstAnalysis)).join(', ')}` +
      `\n    released at every node            ${st.map((r) => sec(r.platform.wall)).join(', ')} (first to last node: ${st.map((r) => sec(r.platform.spread)).join(', ')})` +
      `\n  one-shot: first analysis starts ${st.map((r) => sec(r.oneShot.firstAnalysis)).join(', ')} s after the command starts`,
  );
  console.log(
    `load average (1 min): ${f.load[0].toFixed(1)} at the start, ${f.load[1].toFixed(1)} at the end`,
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Each figure's median over the rounds. */
function medianRound(rs: readonly StudyRound[]): StudyRound {
  const m = <T extends 'oneShot' | 'platform'>(k: T, f: keyof StudyRound[T]) =>
    median(rs.map((r) => r[k][f] as number));
  return {
    oneShot: {
      wall: m('oneShot', 'wall'),
      engine: m('oneShot', 'engine'),
      firstAnalysis: m('oneShot', 'firstAnalysis'),
    },
    platform: {
      wall: m('platform', 'wall'),
      proposed: m('platform', 'proposed'),
      approved: m('platform', 'approved'),
      running: m('platform', 'running'),
      firstAnalysis: m('platform', 'firstAnalysis'),
      spread: m('platform', 'spread'),
      engine: m('platform', 'engine'),
    },
  };
}

function summary(f: Figures): string[] {
  const api = f.api.map(
    (a) =>
      `${f.backend}: ${a.label}: ${Number.isNaN(a.first) ? '' : `first ${ms(a.first)} ms, `}p50 ${ms(a.load.p50)} ms, p99 ${ms(a.load.p99)} ms, ${a.load.rps.toFixed(0)} req/s`,
  );
  const added = f.study.map((r) => r.platform.wall - r.oneShot.wall);
  const med = median(added);
  return [
    ...api,
    `${f.backend}: audit appends ${f.audit.map((a) => `${(a.n / a.seconds).toFixed(0)}/s ${a.label}`).join(', ')}`,
    `${f.backend}: bundled study, platform ${f.study.map((r) => sec(r.platform.wall)).join(', ')} s against one-shot ${f.study.map((r) => sec(r.oneShot.wall)).join(', ')} s: added ${added.map(sec).join(', ')} s, median ${sec(med)} s (target < 1 s: ${med < 1 ? 'met' : 'not met'} by the median); platform steps before the parties start ${f.study.map((r) => sec(r.platform.running)).join(', ')} s`,
  ];
}

export async function runNodeBench(args: string[]): Promise<void> {
  const rows = Number(option(args, 'rows') ?? 10_000);
  const seconds = Number(option(args, 'seconds') ?? 5);
  const connections = Number(option(args, 'connections') ?? 10);
  const rounds = Number(option(args, 'rounds') ?? 5);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows: expected a positive integer`);
  const pgUrl = process.env.ENTENTE_BENCH_PG_URL ?? process.env.ENTENTE_TEST_PG_URL;
  const chosen = option(args, 'backend') ?? (pgUrl ? 'both' : 'pglite');
  if (!['pglite', 'postgres', 'both'].includes(chosen))
    throw new Error(`--backend: expected pglite, postgres or both, got '${chosen}'`);
  if (chosen !== 'pglite' && !pgUrl)
    throw new Error(`--backend ${chosen}: set ENTENTE_BENCH_PG_URL (or ENTENTE_TEST_PG_URL)`);
  if (!option(args, 'backend') && !pgUrl)
    console.log(
      'note: neither ENTENTE_BENCH_PG_URL nor ENTENTE_TEST_PG_URL is set: PGlite only (--backend both needs a server)',
    );
  const backends: Backend[] = chosen === 'both' ? ['pglite', 'postgres'] : [chosen as Backend];
  const { cpus } = await import('node:os');
  console.log(
    `date ${new Date().toISOString()}; Node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
  );
  const all: Figures[] = [];
  for (const b of backends) {
    const f = await benchBackend(b, rows, pgUrl, connections, seconds, rounds);
    print(f, rows, connections, seconds);
    all.push(f);
  }
  console.log('\nsummary:');
  for (const f of all) for (const l of summary(f)) console.log(`  ${l}`);
}

// The load generator's child process runs this file directly.
const loadSpec = process.env[LOADGEN_ENV];
if (
  loadSpec !== undefined &&
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === THIS_FILE
)
  await loadgenChild(JSON.parse(loadSpec) as LoadSpec);
