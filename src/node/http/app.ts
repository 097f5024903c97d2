/**
 * The node's HTTP API (Hono, with zod schemas that both validate requests and
 * generate the OpenAPI document at /openapi.json).
 *
 * Users send `Authorization: Bearer <token>`; every route checks the role.
 * Nodes call /v1/federation/* with their certificate, which must be a pinned
 * peer's. Bad requests get a 4xx naming the field; a 5xx means a bug, and its
 * details stay in the node's log. Refused requests go to the audit log.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { addUser, UserError } from '../auth.js';
import { DatasetError, registerDataset } from '../datasets.js';
import { appendAudit, verifyAudit } from '../audit.js';
import { verifierFromPem } from '../signer.js';
import { diffLines } from '../diff.js';
import { createProposal, GovernanceError, receiveProposal } from '../governance.js';
import { SECURITY_HEADERS, staticFile } from './static.js';
import type { PartyNode } from '../service.js';
import type { Approval, Proposal, Role, Run, User } from '../store/schema.js';
import {
  ApproveIn,
  ApprovalOut,
  AuditEntryOut,
  DatasetIn,
  DatasetOut,
  DiffOut,
  PolicyIn,
  ErrorBody,
  HeadIn,
  NewToken,
  ProposalIn,
  ProposalOut,
  RefuseIn,
  ResultOut,
  RunOut,
  UserIn,
  UserOut,
  VerdictOut,
} from './schemas.js';

type Env = {
  Bindings: { incoming: IncomingMessage };
  Variables: { user: User; peer: string };
};

/** A refusal with its status, raised inside handlers. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 2 * 1024 * 1024;
const json = { 'application/json': { schema: ErrorBody } };
const errors = {
  400: { description: 'Bad request (the field is named)', content: json },
  401: { description: 'Missing or bad token', content: json },
  403: { description: 'The role may not do this', content: json },
  404: { description: 'Not found', content: json },
  409: { description: 'Conflict with the current state', content: json },
  422: { description: 'Valid, but not allowed (policy, budget, data)', content: json },
};
const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { 'application/json': { schema } } },
  ...errors,
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});
const IdParam = z.object({ id: z.string().min(1).max(64) });
const bearer = [{ bearer: [] }];

function clientOf(c: Context<Env>): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

function requireRole(c: Context<Env>, ...roles: Role[]): User {
  const user = c.get('user');
  if (!roles.includes(user.role))
    throw new HttpError(
      403,
      `this needs the role ${roles.join(' or ')}; ${user.name} is ${user.role}`,
    );
  return user;
}

function proposalOut(p: Proposal, decisions: Approval[], withStudy = false) {
  return {
    id: p.id,
    hash: p.hash,
    study_name: p.study_name,
    suite: p.suite,
    parties: JSON.parse(p.parties) as string[],
    proposer: `${p.proposer_user}@${p.proposer_node}`,
    supersedes: p.supersedes,
    status: p.status,
    created_at: p.created_at,
    summary: JSON.parse(p.summary) as unknown,
    decisions: decisions.map(decisionOut),
    ...(withStudy ? { study: p.study_text } : {}),
  };
}

function decisionOut(a: Approval) {
  return {
    proposal_id: a.proposal_id,
    node: a.node,
    decision: a.decision,
    reason: a.reason,
    conditions: JSON.parse(a.conditions) as unknown,
    hash: a.hash,
    user_name: a.user_name,
    at: a.at,
  };
}

const summaryAnalyses = (p: Proposal) =>
  (JSON.parse(p.summary) as { analyses?: { id: string }[] }).analyses ?? [];

const runOut = (r: Run) => ({ ...r, progress: JSON.parse(r.progress) as string[] });

/** The API of one node. Does not listen (server.ts does). */
export function createApp(node: PartyNode): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map(
        (i) => `${[result.target, ...i.path].join('.')}: ${i.message}`,
      );
      return c.json({ error: issues.join('; ') }, 400);
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });

  app.onError((e, c) => {
    if (e instanceof HttpError) return c.json({ error: e.message }, e.status);
    if (e instanceof GovernanceError) return c.json({ error: e.message }, e.status);
    if (e instanceof DatasetError || e instanceof UserError)
      return c.json({ error: e.message }, 422);
    if ((e as { status?: number }).status === 413)
      return c.json({ error: 'request body too large' }, 413);
    node.log(`internal error on ${c.req.method} ${c.req.path}: ${(e as Error).stack ?? e}`);
    return c.json({ error: 'internal error (details are in the node log)' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) => c.json({ error: `request body larger than ${MAX_BODY} bytes` }, 413),
    }),
  );

  // Node-to-node calls: the client certificate must be a pinned peer's.
  app.use('/v1/federation/*', async (c, next) => {
    const socket = c.env?.incoming?.socket as TLSSocket | undefined;
    const x509 = socket?.getPeerX509Certificate?.();
    const peer = node.peerByFingerprint(x509?.fingerprint256);
    if (!peer || !x509) {
      await node.auditRefusal('anonymous', {
        path: c.req.path,
        client: clientOf(c),
        why: 'not a peer certificate',
      });
      throw new HttpError(403, 'federation calls need the certificate of a peer of this node');
    }
    node.rememberPeerCert(peer.id, x509.toString());
    c.set('peer', peer.id);
    await next();
  });

  // User calls: a valid Bearer token; clients that keep failing are slowed, then refused.
  app.use('/v1/*', async (c, next) => {
    if (c.req.path === '/v1/health' || c.req.path.startsWith('/v1/federation/')) return next();
    const client = clientOf(c);
    if (node.throttle.blocked(client))
      throw new HttpError(429, 'too many failed authentications; try again later');
    const m = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '');
    const user = m ? await node.tokens.verify(m[1]!) : undefined;
    if (!user) {
      const n = node.throttle.fail(client);
      // Log the first failures of a client in full, then every 100th (an attacker must not fill the log).
      if (n <= 20 || n % 100 === 0)
        await node.auditRefusal('anonymous', {
          path: c.req.path,
          client,
          why: m ? 'bad token' : 'no token',
          failures: n,
        });
      const delay = node.throttle.delayMs(client);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      throw new HttpError(401, m ? 'the token is not valid' : 'send Authorization: Bearer <token>');
    }
    c.set('user', user);
    try {
      await next();
    } finally {
      if (c.res.status === 403)
        await node.auditRefusal(`user:${user.name}`, {
          path: c.req.path,
          method: c.req.method,
          why: 'role',
        });
    }
  });

  app.get('/v1/health', (c) =>
    c.json({
      node: node.config.id,
      name: node.config.name,
      backend: node.store.backend,
      status: 'up',
    }),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me',
      security: bearer,
      responses: ok(UserOut, 'The caller'),
    }),
    (c) => {
      const u = c.get('user');
      return c.json(
        { name: u.name, role: u.role, created_at: u.created_at, disabled: u.disabled },
        200,
      );
    },
  );

  // ---- users (owners manage them)
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users',
      security: bearer,
      responses: ok(z.array(UserOut), 'Users'),
    }),
    async (c) => {
      requireRole(c, 'owner');
      const rows = await node.db
        .selectFrom('users')
        .select(['name', 'role', 'created_at', 'disabled'])
        .orderBy('name')
        .execute();
      return c.json(rows, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users',
      security: bearer,
      request: body(UserIn),
      responses: ok(NewToken, 'The new user and its token (shown once)'),
    }),
    async (c) => {
      const by = requireRole(c, 'owner');
      const { name, role } = c.req.valid('json');
      const { user, token } = await node.db.transaction().execute(async (tx) => {
        const made = await addUser(tx, name, role);
        await appendAudit(tx, node.signer, {
          kind: 'user.added',
          actor: `user:${by.name}`,
          body: { name, role },
        });
        return made;
      });
      return c.json(
        {
          user: { name: user.name, role: user.role, created_at: user.created_at, disabled: false },
          token,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users/{name}/disable',
      security: bearer,
      request: { params: z.object({ name: z.string().min(1).max(64) }) },
      responses: ok(UserOut, 'The user, whose token no longer works'),
    }),
    async (c) => {
      const by = requireRole(c, 'owner');
      const { name } = c.req.valid('param');
      if (name === by.name) throw new HttpError(409, 'an owner cannot disable itself');
      const u = await node.db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('users')
          .set({ disabled: true })
          .where('name', '=', name)
          .returning(['name', 'role', 'created_at', 'disabled'])
          .executeTakeFirst();
        if (!row) throw new HttpError(404, `no user '${name}'`);
        await appendAudit(tx, node.signer, {
          kind: 'user.disabled',
          actor: `user:${by.name}`,
          body: { name },
        });
        return row;
      });
      node.tokens.clear();
      return c.json(u, 200);
    },
  );

  // ---- datasets
  const datasetOut = async () => {
    const rows = await node.db
      .selectFrom('datasets')
      .leftJoin('budgets', 'budgets.dataset', 'datasets.name')
      .selectAll()
      .orderBy('name')
      .execute();
    return rows.map((d) => ({
      name: d.name,
      format: d.format,
      schema: JSON.parse(d.schema_json) as unknown,
      content_hash: d.content_hash,
      rows: d.rows,
      registered_at: d.registered_at,
      registered_by: d.registered_by,
      max_epsilon_per_run: d.max_epsilon_per_run,
      min_cell_size: d.min_cell_size,
      budget:
        d.epsilon_total === null
          ? null
          : {
              epsilon_total: d.epsilon_total,
              delta_total: d.delta_total!,
              epsilon_spent: d.epsilon_spent!,
              delta_spent: d.delta_spent!,
              epsilon_reserved: d.epsilon_reserved!,
              delta_reserved: d.delta_reserved!,
              epsilon_left: Math.max(0, d.epsilon_total - d.epsilon_spent! - d.epsilon_reserved!),
              delta_left: Math.max(0, d.delta_total! - d.delta_spent! - d.delta_reserved!),
            },
    }));
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/datasets',
      security: bearer,
      responses: ok(
        z.array(DatasetOut),
        'Datasets with their schema, hash and budget (never their rows)',
      ),
    }),
    async (c) => c.json(await datasetOut(), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/datasets',
      security: bearer,
      request: body(DatasetIn),
      responses: ok(DatasetOut, 'The registered dataset'),
    }),
    async (c) => {
      const by = requireRole(c, 'owner');
      const i = c.req.valid('json');
      const d = await registerDataset(node.db, {
        name: i.name,
        path: i.path,
        schema: i.schema,
        ...(i.format ? { format: i.format } : {}),
        budget: i.budget,
        maxEpsilonPerRun: i.maxEpsilonPerRun ?? null,
        minCellSize: i.minCellSize ?? null,
        by: by.name,
      });
      await appendAudit(node.db, node.signer, {
        kind: 'dataset.registered',
        actor: `user:${by.name}`,
        body: {
          name: d.name,
          content_hash: d.content_hash,
          rows: d.rows,
          budget: i.budget,
          maxEpsilonPerRun: d.max_epsilon_per_run,
          minCellSize: d.min_cell_size,
        },
      });
      const out = (await datasetOut()).find((x) => x.name === d.name)!;
      return c.json(out, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/datasets/{name}/policy',
      security: bearer,
      request: { params: z.object({ name: z.string().min(1).max(64) }), ...body(PolicyIn) },
      responses: ok(DatasetOut, 'The dataset with its new policy and budget'),
    }),
    async (c) => {
      const by = requireRole(c, 'owner');
      const { name } = c.req.valid('param');
      const i = c.req.valid('json');
      await node.db.transaction().execute(async (tx) => {
        const d = await tx
          .selectFrom('datasets')
          .select('name')
          .where('name', '=', name)
          .executeTakeFirst();
        if (!d) throw new HttpError(404, `no dataset '${name}'`);
        await tx
          .updateTable('datasets')
          .set({ max_epsilon_per_run: i.maxEpsilonPerRun, min_cell_size: i.minCellSize })
          .where('name', '=', name)
          .execute();
        if (i.budget) {
          const b = await tx
            .selectFrom('budgets')
            .selectAll()
            .where('dataset', '=', name)
            .forUpdate()
            .executeTakeFirstOrThrow();
          const used = {
            epsilon: b.epsilon_spent + b.epsilon_reserved,
            delta: b.delta_spent + b.delta_reserved,
          };
          if (i.budget.epsilon < used.epsilon || i.budget.delta < used.delta)
            throw new HttpError(
              422,
              `budget: runs have spent or hold epsilon ${used.epsilon}, delta ${used.delta}; the total cannot go below that`,
            );
          await tx
            .updateTable('budgets')
            .set({ epsilon_total: i.budget.epsilon, delta_total: i.budget.delta })
            .where('dataset', '=', name)
            .execute();
        }
        await appendAudit(tx, node.signer, {
          kind: 'dataset.policy',
          actor: `user:${by.name}`,
          body: {
            name,
            maxEpsilonPerRun: i.maxEpsilonPerRun,
            minCellSize: i.minCellSize,
            budget: i.budget ?? null,
          },
        });
      });
      return c.json(
        (await datasetOut()).find((x) => x.name === name)!,
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger',
      security: bearer,
      responses: ok(
        z.array(
          z.object({
            dataset: z.string(),
            run_id: z.string(),
            kind: z.string(),
            epsilon: z.number(),
            delta: z.number(),
            at: z.string(),
          }),
        ),
        'Every reservation, charge and return, oldest first',
      ),
    }),
    async (c) => {
      requireRole(c, 'owner', 'auditor', 'analyst');
      const rows = await node.db
        .selectFrom('ledger')
        .select(['dataset', 'run_id', 'kind', 'epsilon', 'delta', 'at'])
        .orderBy('id')
        .execute();
      return c.json(rows, 200);
    },
  );

  // ---- proposals
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/proposals',
      security: bearer,
      request: body(ProposalIn),
      responses: ok(ProposalOut, 'The proposal, sent to the nodes it names'),
    }),
    async (c) => {
      const user = requireRole(c, 'analyst');
      const i = c.req.valid('json');
      const p = await createProposal(node.db, node.signer, node.nodes(), user, {
        studyText: i.study,
        ...(i.suite ? { suite: i.suite } : {}),
        ...(i.supersedes ? { supersedes: i.supersedes } : {}),
      });
      const unreached = await node.sendProposal(p);
      return c.json({ ...proposalOut(p, []), unreached }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/proposals',
      security: bearer,
      responses: ok(z.array(ProposalOut), 'Proposals, newest first'),
    }),
    async (c) => {
      const ps = await node.db
        .selectFrom('proposals')
        .selectAll()
        .orderBy('created_at', 'desc')
        .execute();
      const ds = await node.db.selectFrom('approvals').selectAll().execute();
      return c.json(
        ps.map((p) =>
          proposalOut(
            p,
            ds.filter((d) => d.proposal_id === p.id),
          ),
        ),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/proposals/{id}',
      security: bearer,
      request: { params: IdParam },
      responses: ok(ProposalOut, 'One proposal with its study, release summary and decisions'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const p = await node.proposal(id);
      return c.json(proposalOut(p, await node.approvals(id), true), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/proposals/{id}/diff',
      security: bearer,
      request: { params: IdParam },
      responses: ok(DiffOut, 'What changed since the proposal this one supersedes'),
    }),
    async (c) => {
      const p = await node.proposal(c.req.valid('param').id);
      if (!p.supersedes)
        return c.json(
          { previous: null, lines: [], analyses: { added: [], removed: [], changed: [] } },
          200,
        );
      const old = await node.proposal(p.supersedes);
      const before = new Map(summaryAnalyses(old).map((a) => [a.id, JSON.stringify(a)]));
      const after = new Map(summaryAnalyses(p).map((a) => [a.id, JSON.stringify(a)]));
      return c.json(
        {
          previous: old.id,
          lines: diffLines(old.study_text, p.study_text),
          analyses: {
            added: [...after.keys()].filter((k) => !before.has(k)),
            removed: [...before.keys()].filter((k) => !after.has(k)),
            changed: [...after.keys()].filter(
              (k) => before.has(k) && before.get(k) !== after.get(k),
            ),
          },
        },
        200,
      );
    },
  );

  // An owner's decision: approve with optional conditions, or refuse with a reason.
  const decisionRoute = <V extends 'approve' | 'refuse'>(verb: V) => ({
    method: 'post' as const,
    path: `/v1/proposals/{id}/${verb}` as const,
    security: bearer,
    responses: ok(
      z.object({ decision: ApprovalOut, unreached: z.array(z.string()) }),
      'Recorded, signed and sent to the other nodes',
    ),
  });
  const decided = (r: { approval: Approval; unreached: string[] }) => ({
    decision: decisionOut(r.approval),
    unreached: r.unreached,
  });
  app.openapi(
    createRoute({ ...decisionRoute('approve'), request: { params: IdParam, ...body(ApproveIn) } }),
    async (c) => {
      const user = requireRole(c, 'owner');
      const i = c.req.valid('json');
      const r = await node.decide(user, {
        proposalId: c.req.valid('param').id,
        hash: i.hash,
        decision: 'approve',
        ...(i.conditions ? { conditions: i.conditions } : {}),
      });
      return c.json(decided(r), 200);
    },
  );
  app.openapi(
    createRoute({ ...decisionRoute('refuse'), request: { params: IdParam, ...body(RefuseIn) } }),
    async (c) => {
      const user = requireRole(c, 'owner');
      const i = c.req.valid('json');
      const r = await node.decide(user, {
        proposalId: c.req.valid('param').id,
        hash: i.hash,
        decision: 'refuse',
        reason: i.reason,
      });
      return c.json(decided(r), 200);
    },
  );

  // ---- runs and results
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs',
      security: bearer,
      responses: ok(z.array(RunOut), 'Runs, newest first'),
    }),
    async (c) => {
      const rows = await node.db
        .selectFrom('runs')
        .selectAll()
        .orderBy('started_at', 'desc')
        .execute();
      return c.json(rows.map(runOut), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{id}',
      security: bearer,
      request: { params: IdParam },
      responses: ok(RunOut, 'One run'),
    }),
    async (c) => c.json(runOut(await node.runner.get(c.req.valid('param').id)), 200),
  );
  // Live progress as server-sent events: the run's state now, then each change until it ends.
  app.get('/v1/runs/:id/events', async (c) => {
    const run = await node.runner.get(c.req.param('id'));
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: 'state', data: JSON.stringify(runOut(run)) });
      if (run.state === 'released' || run.state === 'failed') return;
      await new Promise<void>((done) => {
        const onEvent = (e: { run: string; state: string }) => {
          if (e.run !== run.id) return;
          void stream.writeSSE({
            event: e.state === 'running' ? 'progress' : 'state',
            data: JSON.stringify(e),
          });
          if (e.state === 'released' || e.state === 'failed') finish();
        };
        const finish = () => {
          node.runner.events.off('run', onEvent);
          done();
        };
        node.runner.events.on('run', onEvent);
        stream.onAbort(finish);
      });
    });
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/results/{id}',
      security: bearer,
      request: { params: IdParam },
      responses: ok(ResultOut, 'What a run released (after suppression and noise)'),
    }),
    async (c) => {
      requireRole(c, 'analyst', 'owner');
      const { id } = c.req.valid('param');
      const r = await node.db
        .selectFrom('releases')
        .innerJoin('runs', 'runs.id', 'releases.run_id')
        .select([
          'releases.run_id',
          'runs.proposal_id',
          'releases.at',
          'releases.epsilon',
          'releases.delta',
          'releases.outcome',
        ])
        .where('releases.run_id', '=', id)
        .executeTakeFirst();
      if (!r)
        throw new HttpError(
          404,
          `run '${id}' has released nothing (it is unknown, running or failed)`,
        );
      return c.json(
        {
          run: r.run_id,
          proposal_id: r.proposal_id,
          released_at: r.at,
          epsilon: r.epsilon,
          delta: r.delta,
          outcome: JSON.parse(r.outcome) as unknown,
        },
        200,
      );
    },
  );

  // ---- audit log
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit',
      security: bearer,
      request: {
        query: z.object({
          after: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).optional(),
          kind: z.string().max(64).optional(),
          actor: z.string().max(160).optional(),
          run: z
            .string()
            .regex(/^r-[0-9a-f]{1,64}$/, 'a run id (r-...)')
            .optional(),
        }),
      },
      responses: ok(
        z.array(AuditEntryOut),
        'Entries after seq `after`, oldest first; optionally only one kind, actor or run',
      ),
    }),
    async (c) => {
      requireRole(c, 'auditor', 'owner');
      const q = c.req.valid('query');
      let query = node.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', q.after ?? 0);
      if (q.kind) query = query.where('kind', '=', q.kind);
      if (q.actor) query = query.where('actor', '=', q.actor);
      // Bodies are canonical JSON, so a run appears exactly as "run":"r-..." (the id is checked above).
      if (q.run) query = query.where('body', 'like', `%"run":${JSON.stringify(q.run)}%`);
      const rows = await query
        .orderBy('seq')
        .limit(q.limit ?? 1000)
        .execute();
      return c.json(
        rows.map((r) => ({ ...r, body: JSON.parse(r.body) as unknown })),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/verify',
      security: bearer,
      responses: ok(
        VerdictOut,
        'The chain and signatures re-checked, and the heads peers gave this node compared with their logs',
      ),
    }),
    async (c) => {
      requireRole(c, 'auditor', 'owner');
      const v = await verifyAudit(node.db, verifierFromPem(node.identity.cert));
      const peers = await node.checkPeerHeads();
      return c.json({ ...v, ok: v.ok && peers.every((p) => p.ok), peers }, 200);
    },
  );

  // ---- node to node
  app.post('/v1/federation/proposals', async (c) => {
    const p = (await c.req.json()) as Proposal;
    await receiveProposal(node.db, node.signer, node.nodes(), c.get('peer'), p);
    return c.json({ received: p.id });
  });
  app.post('/v1/federation/decisions', async (c) => {
    const a = (await c.req.json()) as Approval;
    await node.receiveDecision(c.get('peer'), a);
    return c.json({ received: a.proposal_id });
  });
  app.get('/v1/federation/open', async (c) => c.json(await node.openFor(c.get('peer'))));
  app.post('/v1/federation/runs', async (c) => {
    const b = (await c.req.json()) as { proposal?: unknown; hash?: unknown };
    if (typeof b.proposal !== 'string' || typeof b.hash !== 'string')
      throw new HttpError(400, 'expected { proposal, hash }');
    return c.json({ run: await node.startRequested(c.get('peer'), b.proposal, b.hash) });
  });
  app.post('/v1/federation/aborts', async (c) => {
    const b = (await c.req.json()) as { run?: unknown; reason?: unknown };
    if (typeof b.run !== 'string' || typeof b.reason !== 'string')
      throw new HttpError(400, 'expected { run, reason }');
    const peer = c.get('peer');
    const run = await node.runner.get(b.run);
    const p = await node.proposal(run.proposal_id);
    if (!(JSON.parse(p.parties) as string[]).includes(peer))
      throw new HttpError(403, `run ${run.id} does not involve ${peer}`);
    await node.runner.abort(run.id, `node ${peer} stopped the run: ${b.reason.slice(0, 2000)}`);
    return c.json({ aborted: run.id });
  });
  app.post('/v1/federation/heads', async (c) => {
    const parsed = HeadIn.safeParse(await c.req.json());
    if (!parsed.success)
      throw new HttpError(
        400,
        `head: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    await node.recordPeerHead(c.get('peer'), parsed.data.run, parsed.data);
    return c.json(await node.signedHead());
  });
  app.get('/v1/federation/audit/:seq', async (c) => {
    const seq = Number(c.req.param('seq'));
    if (!Number.isInteger(seq) || seq < 1)
      throw new HttpError(400, 'seq: expected a positive integer');
    const e = await node.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!e) throw new HttpError(404, `no audit entry ${seq}`);
    return c.json(e);
  });

  // The dashboard (web/dist): its pages talk to this API only, with the user's token.
  app.get('*', async (c, next) => {
    if (c.req.path.startsWith('/v1/') || c.req.path === '/openapi.json') return next();
    const f = await staticFile(c.req.path);
    if (!f) {
      if (c.req.path === '/')
        return c.text(
          "the dashboard is not built: run 'npm run build:web' (npm install builds it)",
          503,
        );
      return next();
    }
    c.header('Content-Type', f.type);
    c.header('Cache-Control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(f.body as Uint8Array<ArrayBuffer>, 200);
  });

  app.doc('/openapi.json', {
    openapi: '3.0.0',
    info: { title: `Entente party node API (${node.config.id})`, version: '1' },
  });
  return app;
}
