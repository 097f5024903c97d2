/**
 * Three hospital nodes end to end: users and roles, datasets, a proposal
 * reviewed and approved by every owner, the run between the nodes' real party
 * processes over TLS, the release checked against the same analysis in the
 * clear, the budget ledger and every node's audit log.
 */
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTable } from '../../src/analytics/data/table.js';
import { parseSchema } from '../../src/analytics/data/schema.js';
import { countingReference, poolTables } from '../../src/analytics/study/reference.js';
import { parseStudyText } from '../../src/analytics/study/parse.js';
import { NodeClient, ClientError } from '../../src/node/client.js';
import {
  approveAll,
  runEnded,
  SCHEMA,
  studyText,
  threeHospitals,
  type Federation,
} from './helpers.js';

const ANALYSES = [
  { id: 'patients', type: 'count', by: 'arm' },
  { id: 'recovery', type: 'mean', column: 'recovery_days', by: 'arm' },
];

interface Proposal {
  id: string;
  hash: string;
  status: string;
  summary: { total: { cells: number; epsilon: number } };
  decisions: { node: string; decision: string }[];
  unreached: string[];
}

describe('three hospital nodes (embedded databases)', () => {
  let f: Federation;
  beforeAll(async () => {
    f = await threeHospitals(120);
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it('runs an approved study between the nodes and releases what the plaintext gives', async () => {
    const text = studyText(ANALYSES);
    const p = await f.analyst.post<Proposal>('/v1/proposals', { study: text });
    expect(p.status).toBe('pending');
    expect(p.unreached).toEqual([]);
    // Every owner sees the same proposal (same hash) with what it would release.
    for (const o of f.owners) {
      const seen = await o.get<Proposal>(`/v1/proposals/${p.id}`);
      expect(seen.hash).toBe(p.hash);
      expect(seen.summary.total.cells).toBe(2 + 4);
    }
    await approveAll(f, p);
    const runs = await runEnded(f, p.id);
    expect(runs.map((r) => r.state)).toEqual(['released', 'released', 'released']);
    const result = await f.analyst.get<{
      outcome: { analyses: { id: string; rows: { values: unknown[] }[] }[] };
    }>(`/v1/results/${runs[0]!.id}`);
    // The same counts in the clear, on the pooled records (test only).
    const schema = parseSchema(SCHEMA);
    const tables = await Promise.all(
      f.files.map(async (file) => parseTable(await readFile(file, 'utf8'), schema, file)),
    );
    const study = parseStudyText(text, 'study.yaml');
    const expected = countingReference(poolTables(tables), study.analyses[0]!);
    const got = result.outcome.analyses.find((a) => a.id === 'patients')!;
    const pick = (rows: readonly unknown[]) =>
      (rows as { group: string; value: number }[]).map((r) => [r.group, r.value]);
    expect(pick(got.rows)).toEqual(pick(expected!));
    // Every node released the same, and its audit log verifies.
    const released = (o: { analyses: { id: string; rows: unknown[] }[] }) =>
      o.analyses.map((a) => [a.id, a.rows]);
    for (const o of f.owners) {
      const r = await o.get<typeof result>(`/v1/results/${runs[0]!.id}`);
      expect(released(r.outcome)).toEqual(released(result.outcome));
    }
    for (const a of f.auditors) {
      const v = await a.get<{ ok: boolean; entries: number; peers: { ok: boolean }[] }>(
        '/v1/audit/verify',
      );
      expect(v.ok).toBe(true);
      expect(v.peers.length).toBeGreaterThan(0);
    }
  }, 180_000);

  it('checks roles, tokens and fields', async () => {
    const bad = new NodeClient({
      ...f.profiles.analyst,
      token: 'ent_0123456789abcdef_' + 'x'.repeat(43),
    });
    await expect(bad.get('/v1/me')).rejects.toMatchObject({ status: 401 });
    await expect(
      f.analyst.post('/v1/datasets', {
        name: 'x',
        path: '/x',
        schema: {},
        budget: { epsilon: 1, delta: 0 },
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(f.owners[0]!.post('/v1/proposals', { study: 'x' })).rejects.toMatchObject({
      status: 403,
    });
    const e = await f.analyst.post('/v1/proposals', { studdy: 'x' }).catch((x: ClientError) => x);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).status).toBe(400);
    expect((e as ClientError).message).toMatch(/studdy|study/);
    const v =
      await f.auditors[0]!.get<{ kind: string; body: { why?: string } }[]>('/v1/audit?limit=10000');
    expect(v.some((x) => x.kind === 'request.refused' && x.body.why === 'bad token')).toBe(true);
    expect(v.some((x) => x.kind === 'request.refused' && x.body.why === 'role')).toBe(true);
  });

  it('a refusal stops the proposal; a stale hash is refused', async () => {
    const p = await f.analyst.post<Proposal>('/v1/proposals', {
      study: studyText(ANALYSES.slice(0, 1)),
    });
    await expect(
      f.owners[0]!.post(`/v1/proposals/${p.id}/approve`, { hash: 'a'.repeat(64) }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(
      f.owners[1]!.post(`/v1/proposals/${p.id}/refuse`, { hash: p.hash, reason: '' }),
    ).rejects.toMatchObject({ status: 400 });
    await f.owners[1]!.post(`/v1/proposals/${p.id}/refuse`, {
      hash: p.hash,
      reason: 'not this quarter',
    });
    await f.owners[0]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash }).catch(
      () => undefined,
    );
    const seen = await f.owners[0]!.get<Proposal>(`/v1/proposals/${p.id}`);
    expect(seen.status).toBe('refused');
    const runs = await f.owners[0]!.get<{ proposal_id: string }[]>('/v1/runs');
    expect(runs.some((r) => r.proposal_id === p.id)).toBe(false);
  });

  it('a changed data file cannot be approved until registered again', async () => {
    const original = await readFile(f.files[2]!, 'utf8');
    await appendFile(f.files[2]!, original.split('\n')[1]! + '\n');
    try {
      const p = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText(ANALYSES.slice(0, 1)),
      });
      await expect(
        f.owners[2]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash }),
      ).rejects.toThrow(/changed since it was registered/);
    } finally {
      await writeFile(f.files[2]!, original);
    }
  });

  it('an owner condition on epsilon is checked against the study', async () => {
    const dp = [{ id: 'noisy', type: 'count', by: 'arm', dp: { epsilon: 0.5 } }];
    const p = await f.analyst.post<Proposal>('/v1/proposals', { study: studyText(dp) });
    await expect(
      f.owners[0]!.post(`/v1/proposals/${p.id}/approve`, {
        hash: p.hash,
        conditions: { maxEpsilon: 0.1 },
      }),
    ).rejects.toThrow(/maxEpsilon 0.1/);
  });
});
