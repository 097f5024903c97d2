/**
 * Test aid: three hospital nodes on this machine with synthetic records, an
 * owner at each and an analyst at the first, as a real deployment has them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  generatePatients,
  HOSPITAL_SCHEMA,
  HOSPITALS,
  patientsCsv,
} from '../../src/apps/hospitals.js';
import { NodeClient, type NodeProfile } from '../../src/node/client.js';
import { addLocalUser, initLocalNodes, startLocalNodes } from '../../src/node/local.js';
import type { RunningNode } from '../../src/node/server.js';

export const SCHEMA = HOSPITAL_SCHEMA;

export function studyText(analyses: unknown[], extra: Record<string, unknown> = {}): string {
  return stringify({
    study: 'Node test study',
    suite: 'rep3',
    parties: HOSPITALS.map((h) => ({ id: h.id, data: 'patients', format: 'csv' })),
    schema: SCHEMA,
    privacy: { minCellSize: 5, budget: { epsilon: 1, delta: 1e-6 } },
    analyses,
    ...extra,
  });
}

export interface Federation {
  readonly root: string;
  readonly dirs: readonly string[];
  readonly nodes: RunningNode[];
  readonly owners: NodeClient[];
  readonly analyst: NodeClient;
  readonly auditors: NodeClient[];
  readonly profiles: { owner: NodeProfile[]; analyst: NodeProfile };
  readonly files: string[];
  close(): Promise<void>;
}

/** Three nodes, datasets registered with the given total budget. */
export async function threeHospitals(
  rows: number,
  budget = { epsilon: 2, delta: 1e-5 },
  databases: (string | undefined)[] = [],
): Promise<Federation> {
  const root = await mkdtemp(join(tmpdir(), 'entente-node-test-'));
  const dirs = await initLocalNodes(
    root,
    HOSPITALS.map((h, i) => ({
      id: h.id,
      name: h.name,
      ...(databases[i] ? { database: databases[i] } : {}),
    })),
  );
  const owner: NodeProfile[] = [];
  const auditors: NodeProfile[] = [];
  for (const d of dirs) owner.push(await addLocalUser(d, 'owner', 'owner'));
  for (const d of dirs) auditors.push(await addLocalUser(d, 'auditor', 'auditor'));
  const analyst = await addLocalUser(dirs[0]!, 'analyst', 'analyst');
  const nodes = await startLocalNodes(dirs, (l) => {
    if (process.env.ENTENTE_TEST_NODE_LOG) process.stderr.write(`node: ${l}\n`);
  });
  const owners = owner.map((p) => new NodeClient(p));
  const files: string[] = [];
  for (const [i, h] of HOSPITALS.entries()) {
    const file = join(root, `${h.id}.csv`);
    await writeFile(file, patientsCsv(generatePatients(i, rows, 7)));
    files.push(file);
    await owners[i]!.post('/v1/datasets', { name: 'patients', path: file, schema: SCHEMA, budget });
  }
  return {
    root,
    dirs,
    nodes,
    owners,
    analyst: new NodeClient(analyst),
    auditors: auditors.map((p) => new NodeClient(p)),
    profiles: { owner, analyst },
    files,
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface ProposalView {
  id: string;
  hash: string;
  status: string;
}
interface RunView {
  id: string;
  state: string;
  reason: string | null;
}

/** Every owner approves the proposal's hash. */
export async function approveAll(f: Federation, p: ProposalView): Promise<void> {
  for (const o of f.owners) await o.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
}

/** Waits (bounded) until the run of a proposal has ended at every node. */
export async function runEnded(
  f: Federation,
  proposalId: string,
  timeoutMs = 120_000,
): Promise<RunView[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const runs = await Promise.all(
      f.owners.map(async (o) => {
        const all = await o.get<(RunView & { proposal_id: string })[]>('/v1/runs');
        return all.find((r) => r.proposal_id === proposalId);
      }),
    );
    if (runs.every((r) => r && (r.state === 'released' || r.state === 'failed')))
      return runs as RunView[];
    if (Date.now() > until)
      throw new Error(
        `runs of ${proposalId} did not end within ${timeoutMs} ms: ${JSON.stringify(runs)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
