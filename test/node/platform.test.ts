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
import { sql } from 'kysely';
import { NodeClient, ClientError } from '../../src/node/client.js';
import { startNode } from '../../src/node/server.js';
import { pinnedRequest } from '../../src/node/pinned-https.js';
import { request as httpsRequest } from 'node:https';

/** A GET with its headers (the test pins nothing: it reads its own node on 127.0.0.1). */
function fetchRaw(
  url: string,
  _fingerprint: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
import { BACKENDS } from './backends.js';
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

for (const backend of BACKENDS)
  describe(`three hospital nodes on ${backend.name}`, () => {
    let f: Federation;
    const drops: (() => Promise<void>)[] = [];
    beforeAll(async () => {
      const databases: (string | undefined)[] = [];
      for (let i = 0; i < 3; i++) {
        const l = await backend.location('');
        databases.push(l.database);
        drops.push(l.drop);
      }
      f = await threeHospitals(120, { epsilon: 2, delta: 1e-5 }, databases);
    }, 120_000);
    afterAll(async () => {
      await f?.close();
      for (const d of drops) await d();
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
      // The OpenAPI document lists the routes, from the schemas that validate them.
      const doc = (
        await pinnedRequest({
          url: `${f.nodes[0]!.url}/openapi.json`,
          fingerprint: f.profiles.analyst.fingerprint,
          method: 'GET',
        })
      ).body as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/proposals',
          '/v1/proposals/{id}/approve',
          '/v1/datasets',
          '/v1/audit/verify',
        ]),
      );
      const v =
        await f.auditors[0]!.get<{ kind: string; body: { why?: string } }[]>(
          '/v1/audit?limit=10000',
        );
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

    it('two approved runs racing for the last of a budget: exactly one is charged', async () => {
      // Budget left at every node: 2 - (what earlier tests spent, none released with dp) = 2.
      const dp = (id: string) => [{ id, type: 'count', by: 'arm', dp: { epsilon: 1.5 } }];
      const privacy = { minCellSize: 5, budget: { epsilon: 1.5, delta: 1e-6 } };
      const a = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText(dp('first'), { study: 'Race one', privacy }),
      });
      const b = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText(dp('second'), { study: 'Race two', privacy }),
      });
      // Each owner approves both before any run can have finished.
      await Promise.all(
        f.owners.map((o) =>
          Promise.all([a, b].map((p) => o.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash }))),
        ),
      );
      // The coordinator (the study's first node) reserves for one of them first; the other
      // fails there at once and never starts anywhere.
      const ended = async (id: string) => {
        const until = Date.now() + 120_000;
        for (;;) {
          const runs = await Promise.all(
            f.owners.map(async (o) =>
              (
                await o.get<{ proposal_id: string; state: string; reason: string | null }[]>(
                  '/v1/runs',
                )
              ).find((r) => r.proposal_id === id),
            ),
          );
          if (runs[0]?.state === 'failed') return runs;
          if (runs.every((r) => r?.state === 'released')) return runs;
          if (Date.now() > until)
            throw new Error(`runs of ${id} did not end: ${JSON.stringify(runs)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const outcomes = [await ended(a.id), await ended(b.id)];
      const winners = outcomes.filter((runs) => runs.every((r) => r?.state === 'released'));
      expect(winners).toHaveLength(1);
      const loser = outcomes.find((runs) => runs[0]?.state === 'failed')!;
      expect(loser[0]!.reason).toMatch(/needs epsilon 1.5.*left/);
      // The others never started it (or record it failed), and nothing was released for it.
      for (const r of loser.slice(1)) expect(r === undefined || r.state === 'failed').toBe(true);
      for (const o of f.owners) {
        const ds =
          await o.get<{ budget: { epsilon_spent: number; epsilon_reserved: number } }[]>(
            '/v1/datasets',
          );
        expect(ds[0]!.budget.epsilon_spent).toBeCloseTo(1.5, 9);
        expect(ds[0]!.budget.epsilon_reserved).toBe(0);
      }
    }, 180_000);

    it("a node that rewrites its log is caught by its peers' heads", async () => {
      const victim = f.nodes[1]!.node;
      const auditorB = f.auditors[1]!;
      expect((await auditorB.get<{ ok: boolean }>('/v1/audit/verify')).ok).toBe(true);
      // Node B's operator rewrites entry 2 and re-signs the whole chain with B's own key.
      const { appendAudit } = await import('../../src/node/audit.js');
      const rows = await victim.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(victim.db);
      await sql`delete from audit_log`.execute(victim.db);
      await sql`update audit_head set seq = 0, hash = repeat('0', 64)`.execute(victim.db);
      for (const r of rows)
        await appendAudit(victim.db, victim.signer, {
          kind: r.kind,
          actor: r.actor,
          body: r.seq === 2 ? { rewritten: true } : (JSON.parse(r.body) as Record<string, unknown>),
        });
      await sql`alter table audit_log enable trigger audit_log_append_only`.execute(victim.db);
      // Its own chain verifies (it was re-signed), but A and C hold heads B gave them at the runs.
      expect(
        (await auditorB.get<{ entries: number; firstBad?: unknown }>('/v1/audit/verify')).firstBad,
      ).toBeUndefined();
      const seenByA = await f.auditors[0]!.get<{
        ok: boolean;
        peers: { peer: string; ok: boolean; problem?: string }[];
      }>('/v1/audit/verify');
      expect(seenByA.ok).toBe(false);
      expect(
        seenByA.peers.some((p) => p.peer === 'hospital-b' && !p.ok && /hash/.test(p.problem ?? '')),
      ).toBe(true);
    }, 60_000);

    it('refuses a body over the size limit with 413', async () => {
      const e = await f.analyst
        .post('/v1/proposals', { study: 'x'.repeat(3 * 1024 * 1024) })
        .catch((x: ClientError) => x);
      expect((e as ClientError).status).toBe(413);
    });

    it('a node that was down catches up on the proposal and decisions it missed', async () => {
      await f.nodes[2]!.close();
      const p = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText([{ id: 'late', type: 'count', by: 'sex' }], { study: 'While C was down' }),
      });
      expect(p.unreached).toEqual(['hospital-c']);
      await f.owners[0]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
      await f.owners[1]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
      f.nodes[2] = await startNode({ dir: f.dirs[2]!, syncMs: 300, log: () => undefined });
      const until = Date.now() + 30_000;
      let seen: Proposal | undefined;
      while (!seen || seen.decisions.length < 2) {
        if (Date.now() > until)
          throw new Error(`hospital-c did not catch up: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 200));
        seen = await f.owners[2]!.get<Proposal>(`/v1/proposals/${p.id}`).catch(() => undefined);
      }
      expect(seen.hash).toBe(p.hash);
      await f.owners[2]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
      const runs = await runEnded(f, p.id);
      expect(runs.map((r) => r.state)).toEqual(['released', 'released', 'released']);
    }, 120_000);

    it('shows what changed since the superseded version, filters the audit log, and updates a policy', async () => {
      const v1 = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText([{ id: 'patients', type: 'count', by: 'arm' }], { study: 'Versioned' }),
      });
      const v2 = await f.analyst.post<Proposal>('/v1/proposals', {
        study: studyText(
          [
            { id: 'patients', type: 'count', by: 'sex' },
            { id: 'rate', type: 'rate', column: 'recovered', by: 'arm' },
          ],
          { study: 'Versioned' },
        ),
        supersedes: v1.id,
      });
      const d = await f.owners[1]!.get<{
        previous: string;
        lines: { op: string; text: string }[];
        analyses: { added: string[]; removed: string[]; changed: string[] };
      }>(`/v1/proposals/${v2.id}/diff`);
      expect(d.previous).toBe(v1.id);
      expect(d.analyses).toEqual({ added: ['rate'], removed: [], changed: ['patients'] });
      expect(d.lines.some((l) => l.op === '+' && /column: recovered/.test(l.text))).toBe(true);
      expect(
        d.lines
          .filter((l) => l.op !== '+')
          .map((l) => l.text)
          .join('\n'),
      ).toBe((await f.owners[1]!.get<{ study: string }>(`/v1/proposals/${v1.id}`)).study);
      expect(d.lines.some((l) => l.op === '+' && /by: sex/.test(l.text))).toBe(true);
      expect((await f.owners[1]!.get<Proposal>(`/v1/proposals/${v1.id}`)).status).toBe(
        'superseded',
      );
      const none = await f.owners[1]!.get<{ previous: null }>(`/v1/proposals/${v1.id}/diff`);
      expect(none.previous).toBeNull();

      const auditor = f.auditors[0]!;
      const recorded = await auditor.get<{ kind: string }[]>(
        '/v1/audit?kind=proposal.recorded&limit=10000',
      );
      expect(recorded.length).toBeGreaterThan(0);
      expect(recorded.every((e) => e.kind === 'proposal.recorded')).toBe(true);
      const runs = await f.owners[0]!.get<{ id: string; state: string }[]>('/v1/runs');
      const released = runs.find((r) => r.state === 'released')!;
      const ofRun = await auditor.get<{ kind: string; body: { run?: string } }[]>(
        `/v1/audit?run=${released.id}&limit=10000`,
      );
      expect(ofRun.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['run.queued', 'run.released']),
      );
      expect(ofRun.every((e) => e.body.run === released.id)).toBe(true);
      await expect(auditor.get('/v1/audit?run=x%25')).rejects.toMatchObject({ status: 400 });

      const owner = f.owners[2]!;
      const after = await owner.call<{
        max_epsilon_per_run: number;
        min_cell_size: number;
        budget: { epsilon_total: number };
      }>('PUT', '/v1/datasets/patients/policy', {
        maxEpsilonPerRun: 0.5,
        minCellSize: 8,
        budget: { epsilon: 5, delta: 1e-5 },
      });
      expect(after).toMatchObject({
        max_epsilon_per_run: 0.5,
        min_cell_size: 8,
        budget: { epsilon_total: 5 },
      });
      await expect(
        owner.call('PUT', '/v1/datasets/patients/policy', {
          maxEpsilonPerRun: null,
          minCellSize: null,
          budget: { epsilon: 0, delta: 0 },
        }),
      ).rejects.toMatchObject({ status: 422 });
      await expect(
        f.analyst.call('PUT', '/v1/datasets/patients/policy', {
          maxEpsilonPerRun: null,
          minCellSize: null,
        }),
      ).rejects.toMatchObject({ status: 403 });
    }, 60_000);

    it('serves the dashboard with a strict content security policy', async () => {
      const r = await pinnedRequest({
        url: `${f.nodes[0]!.url}/v1/health`,
        fingerprint: f.profiles.analyst.fingerprint,
        method: 'GET',
      });
      expect(r.status).toBe(200);
      const page = await fetchRaw(`${f.nodes[0]!.url}/`, f.profiles.analyst.fingerprint);
      expect([200, 503]).toContain(page.status);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(page.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
      const escape = await fetchRaw(
        `${f.nodes[0]!.url}/..%2f..%2fpackage.json`,
        f.profiles.analyst.fingerprint,
      );
      expect(escape.status).toBe(404);
    });
  });
