/**
 * `entente demo`: the bundled hospital study on the platform. Three hospital
 * nodes start on embedded databases (in this process; each run's party is a
 * child process, linked to the others over TLS), each owner registers its
 * synthetic records, an analyst at Hospital A proposes the study, every owner
 * sees what it would release and approves it, the nodes run it, and the
 * report is printed beside the plaintext answer on the pooled records (a
 * check for the demo only), followed by each node's audit-log verdict.
 *
 *   entente demo [--rows N] [--dir DIR] [--serve]
 *
 * --serve keeps the nodes up for exploring (profiles for the CLI are written
 * into the folder); --dir keeps everything there instead of a temporary folder.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { loadTable } from '../adapters/node/data.js';
import { formatReleaseSummary, type ReleaseSummary } from '../analytics/study/release.js';
import { terminalReport } from '../analytics/study/report.js';
import type { StudyOutcome } from '../analytics/study/result.js';
import { parseStudyText } from '../analytics/study/parse.js';
import { HOSPITALS } from '../apps/hospitals.js';
import { NodeClient, type NodeProfile } from '../node/client.js';
import { addLocalUser, initLocalNodes, startLocalNodes } from '../node/local.js';
import type { RunningNode } from '../node/server.js';
import { signalExit } from './exit.js';
import { UsageError } from './net.js';
import { makeKeyFolder } from './tempdir.js';
import { pooledReference, writeHospitals } from './study.js';

type Named = ReadonlyMap<string, string>;

const HOSPITAL_STUDY = fileURLToPath(
  new URL('../../examples/hospitals/study.yaml', import.meta.url),
);
const DATASET = 'patients';
const RUN_BOUND_MS = 600_000;

/** The bundled study as a proposal: each party's `data` names its node's dataset. */
export function nodeStudyText(text: string, dataset: string): string {
  const doc = parseDocument(text);
  const parties = doc.getIn(['parties']) as { items: unknown[] } | undefined;
  parties?.items.forEach((_, i) => {
    doc.setIn(['parties', i, 'data'], dataset);
    doc.setIn(['parties', i, 'format'], 'csv');
  });
  return doc.toString();
}

const step = (text: string) => console.error(`\n== ${text}`);

export async function nodeDemo(named: Named): Promise<number> {
  const rowsText = named.get('rows') ?? '10000';
  const rows = Number(rowsText);
  if (!Number.isInteger(rows) || rows < 1 || rows > 1_000_000)
    throw new UsageError(`--rows: expected an integer in 1..1000000, got '${rowsText}'`);
  const serve = named.get('serve') === '1';
  const keep = named.get('dir');
  // Without --dir, the nodes' private keys live in a temporary folder that is removed on
  // every way out (src/cli/tempdir.ts), Ctrl-C included.
  const folder = keep ? undefined : await makeKeyFolder('entente-demo-');
  const root = keep ? resolve(keep) : folder!.dir;
  if (keep) await mkdir(root, { recursive: true });
  let onSignal!: (sig: NodeJS.Signals) => void;
  const interrupted = new Promise<NodeJS.Signals>((r) => (onSignal = r));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let nodes: RunningNode[] = [];
  const work = demoSteps(rows, serve, root, interrupted, (n) => (nodes = n));
  // Once interrupted, whatever the steps still throw (files gone, nodes closed) is moot.
  work.catch(() => undefined);
  try {
    const r = await Promise.race([
      work.then((code) => ({ code })),
      interrupted.then((sig) => ({ sig })),
    ]);
    if ('code' in r) return r.code;
    console.error(
      `\nentente demo: interrupted (${r.sig}); stopping the nodes${folder ? ' and removing their keys' : ''}`,
    );
    return signalExit(r.sig);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.race([
      Promise.all(nodes.map((n) => n.close().catch(() => undefined))),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
    await folder?.remove();
  }
}

/** The demo's steps; resolves with the exit status (1 if an audit log fails to verify). */
async function demoSteps(
  rows: number,
  serve: boolean,
  root: string,
  interrupted: Promise<NodeJS.Signals>,
  started: (nodes: RunningNode[]) => void,
): Promise<number> {
  const t0 = performance.now();
  step(`three hospital nodes in ${root} (embedded PostgreSQL, TLS on 127.0.0.1)`);
  const dirs = await initLocalNodes(
    root,
    HOSPITALS.map((h) => ({ id: h.id, name: h.name })),
  );
  const owners: NodeProfile[] = [];
  for (const d of dirs) owners.push(await addLocalUser(d, 'owner', 'owner'));
  const analyst = await addLocalUser(dirs[0]!, 'analyst', 'analyst');
  const auditors: NodeProfile[] = [];
  for (const d of dirs) auditors.push(await addLocalUser(d, 'auditor', 'auditor'));
  const nodes = await startLocalNodes(dirs, (l) => {
    if (!/^API on/.test(l)) console.error(`  node: ${l}`);
  });
  started(nodes);
  nodes.forEach((n, i) =>
    console.error(`  ${HOSPITALS[i]!.name}: ${n.url}, database ${n.node.store.backend}`),
  );

  step(`each owner registers ${rows} synthetic patient records (they stay at the hospital)`);
  const files = await writeHospitals(join(root, 'data'), rows);
  const studyText = await readFile(HOSPITAL_STUDY, 'utf8');
  const schema = (parseDocument(studyText).toJS() as { schema: unknown }).schema;
  const ownerClients = owners.map((p) => new NodeClient(p));
  for (const [i, c] of ownerClients.entries()) {
    const d = await c.post<{ rows: number; content_hash: string }>('/v1/datasets', {
      name: DATASET,
      path: files[i],
      schema: { schema },
      budget: { epsilon: 3, delta: 1e-5 },
    });
    console.error(
      `  ${HOSPITALS[i]!.name}: '${DATASET}', ${d.rows} rows, sha256 ${d.content_hash.slice(0, 16)}..., budget epsilon 3`,
    );
  }

  step('the analyst at Hospital A proposes the bundled study');
  const proposalText = nodeStudyText(studyText, DATASET);
  const analystClient = new NodeClient(analyst);
  const p = await analystClient.post<{
    id: string;
    hash: string;
    summary: ReleaseSummary;
    unreached: string[];
  }>('/v1/proposals', { study: proposalText });
  console.error(
    `  proposal ${p.id}, hash ${p.hash.slice(0, 16)}..., delivered to every named node${p.unreached.length ? ` except ${p.unreached.join(', ')}` : ''}`,
  );
  console.error('\n' + formatReleaseSummary(p.summary).replace(/^/gm, '  '));

  step('each owner reviews exactly this release and approves it');
  for (const [i, c] of ownerClients.entries()) {
    const seen = await c.get<{ hash: string; summary: ReleaseSummary }>(`/v1/proposals/${p.id}`);
    await c.post(`/v1/proposals/${p.id}/approve`, { hash: seen.hash });
    console.error(
      `  ${HOSPITALS[i]!.name} (owner): approved hash ${seen.hash.slice(0, 16)}... (${seen.summary.total.cells} values, epsilon ${seen.summary.total.epsilon})`,
    );
  }

  step('the nodes run it (each hospital one party process, rep3 over TLS)');
  const runId = await waitForRuns(nodes, p.id);
  const result = await analystClient.get<{ outcome: StudyOutcome }>(`/v1/results/${runId}`);
  const tables = [];
  const study = parseStudyText(studyText, HOSPITAL_STUDY);
  for (const f of files) tables.push(await loadTable(f, study.schema, 'csv'));
  console.log('\n' + terminalReport(result.outcome, pooledReference(study, tables)));

  step("each node's audit log");
  let allOk = true;
  for (const [i, a] of auditors.entries()) {
    const v = await new NodeClient(a).get<{
      ok: boolean;
      entries: number;
      firstBad?: { seq: number; problem: string };
      peers: { ok: boolean }[];
    }>('/v1/audit/verify');
    allOk &&= v.ok;
    console.error(
      `  ${HOSPITALS[i]!.name}: ${v.ok ? 'verified' : 'FAILED'}: ${v.entries} entries, chain and signatures ${v.firstBad ? `broken at entry ${v.firstBad.seq} (${v.firstBad.problem})` : 'intact'}; ${v.peers.filter((x) => x.ok).length}/${v.peers.length} peer heads match`,
    );
  }
  console.error(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (serve) {
    for (const [i, d] of dirs.entries()) {
      await writeFile(join(d, 'owner.profile.json'), JSON.stringify(owners[i], null, 2) + '\n', {
        mode: 0o600,
      });
      await writeFile(
        join(d, 'auditor.profile.json'),
        JSON.stringify(auditors[i], null, 2) + '\n',
        { mode: 0o600 },
      );
    }
    await writeFile(
      join(dirs[0]!, 'analyst.profile.json'),
      JSON.stringify(analyst, null, 2) + '\n',
      { mode: 0o600 },
    );
    // The demo's throwaway nodes: their tokens are printed so that a browser can sign in.
    console.error('\n== the dashboards (sign in with a token; the certificate is self-signed:');
    console.error('   the browser warns, and its fingerprint is shown beside each address)');
    for (const [i, h] of HOSPITALS.entries()) {
      console.error(`  ${h.name}: ${owners[i]!.node}/   certificate ${owners[i]!.fingerprint}`);
      console.error(`    owner   ${owners[i]!.token}`);
      console.error(`    auditor ${auditors[i]!.token}`);
      if (i === 0) console.error(`    analyst ${analyst.token}`);
    }
    console.error(
      `\nthe nodes stay up (Ctrl-C stops them). Try:\n` +
        `  npx entente proposals --profile ${join(dirs[0]!, 'analyst.profile.json')}\n` +
        `  npx entente results ${runId} --profile ${join(dirs[0]!, 'analyst.profile.json')}\n` +
        `  npx entente audit --profile ${join(dirs[1]!, 'auditor.profile.json')}`,
    );
    // Until Ctrl-C (or SIGTERM): the caller then stops the nodes and exits 130 / 143.
    await interrupted;
  }
  return allOk ? 0 : 1;
}

/** Follows the run at every node, printing Hospital A's progress; returns the run id. */
async function waitForRuns(nodes: readonly RunningNode[], proposalId: string): Promise<string> {
  const first = nodes[0]!.node;
  const onEvent = (e: { line?: string }) => {
    if (e.line) console.error(`  ${e.line}`);
  };
  first.runner.events.on('run', onEvent);
  try {
    const until = Date.now() + RUN_BOUND_MS;
    for (;;) {
      const runs = await Promise.all(
        nodes.map((n) =>
          n.node.db
            .selectFrom('runs')
            .selectAll()
            .where('proposal_id', '=', proposalId)
            .executeTakeFirst(),
        ),
      );
      const failed = runs.find((r) => r?.state === 'failed');
      if (failed) throw new Error(`the run failed: ${failed.reason}`);
      if (runs.every((r) => r?.state === 'released')) return runs[0]!.id;
      if (Date.now() > until)
        throw new Error(`the run did not end within ${RUN_BOUND_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    first.runner.events.off('run', onEvent);
  }
}
