/**
 * The API's request and response schemas (zod): they validate requests and
 * generate the OpenAPI document (GET /openapi.json), so the two never differ.
 */
import { z } from '@hono/zod-openapi';

export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

const Name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits and _.- (1..64)');
const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256 hash');

export const UserIn = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'letters, digits and _.@- (1..64)'),
    role: z.enum(['owner', 'analyst', 'auditor']),
  })
  .strict()
  .openapi('NewUser');
export const UserOut = z
  .object({ name: z.string(), role: z.string(), created_at: z.string(), disabled: z.boolean() })
  .openapi('User');
export const NewToken = z.object({ user: UserOut, token: z.string() }).openapi('NewToken');

export const DatasetIn = z
  .object({
    name: Name,
    path: z.string().min(1).max(4096),
    schema: z.record(z.string(), z.unknown()),
    format: z.enum(['csv', 'jsonl', 'parquet']).optional(),
    budget: z
      .object({ epsilon: z.number().min(0).max(1000), delta: z.number().min(0).max(1) })
      .strict(),
    maxEpsilonPerRun: z.number().positive().nullable().optional(),
    minCellSize: z.number().int().min(0).max(1_000_000).nullable().optional(),
  })
  .strict()
  .openapi('NewDataset');

const BudgetOut = z.object({
  epsilon_total: z.number(),
  delta_total: z.number(),
  epsilon_spent: z.number(),
  delta_spent: z.number(),
  epsilon_reserved: z.number(),
  delta_reserved: z.number(),
  epsilon_left: z.number(),
  delta_left: z.number(),
});
export const DatasetOut = z
  .object({
    name: z.string(),
    format: z.string(),
    schema: z.unknown(),
    content_hash: z.string(),
    rows: z.number(),
    registered_at: z.string(),
    registered_by: z.string(),
    max_epsilon_per_run: z.number().nullable(),
    min_cell_size: z.number().nullable(),
    budget: BudgetOut.nullable(),
  })
  .openapi('Dataset');

export const ProposalIn = z
  .object({
    study: z
      .string()
      .min(1)
      .max(1_000_000)
      .openapi({ description: 'The study file (YAML or JSON text)' }),
    suite: z.string().max(32).optional(),
    supersedes: z.string().max(64).optional(),
  })
  .strict()
  .openapi('NewProposal');

export const ApprovalOut = z
  .object({
    proposal_id: z.string(),
    node: z.string(),
    decision: z.enum(['approve', 'refuse']),
    reason: z.string().nullable(),
    conditions: z.unknown(),
    hash: z.string(),
    user_name: z.string(),
    at: z.string(),
  })
  .openapi('Decision');

export const ProposalOut = z
  .object({
    id: z.string(),
    hash: z.string(),
    study_name: z.string(),
    suite: z.string(),
    parties: z.array(z.string()),
    proposer: z.string(),
    supersedes: z.string().nullable(),
    status: z.string(),
    created_at: z.string(),
    summary: z
      .unknown()
      .openapi({ description: 'What the study would release (see releaseSummary)' }),
    decisions: z.array(ApprovalOut),
    study: z.string().optional(),
    unreached: z.array(z.string()).optional(),
  })
  .openapi('Proposal');

export const Conditions = z
  .object({
    maxEpsilon: z.number().min(0).optional(),
    minCellSize: z.number().int().min(0).optional(),
  })
  .strict();
export const ApproveIn = z
  .object({ hash: Hash, conditions: Conditions.optional() })
  .strict()
  .openapi('Approve');
export const RefuseIn = z
  .object({ hash: Hash, reason: z.string().min(1).max(2000) })
  .strict()
  .openapi('Refuse');

export const RunOut = z
  .object({
    id: z.string(),
    proposal_id: z.string(),
    hash: z.string(),
    state: z.enum(['queued', 'running', 'released', 'failed']),
    progress: z.array(z.string()),
    reason: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi('Run');

export const ResultOut = z
  .object({
    run: z.string(),
    proposal_id: z.string(),
    released_at: z.string(),
    epsilon: z.number(),
    delta: z.number(),
    outcome: z.unknown(),
  })
  .openapi('Result');

export const AuditEntryOut = z
  .object({
    seq: z.number(),
    at: z.string(),
    kind: z.string(),
    actor: z.string(),
    body: z.unknown(),
    prev_hash: z.string(),
    hash: z.string(),
    signature: z.string(),
  })
  .openapi('AuditEntry');

export const VerdictOut = z
  .object({
    ok: z.boolean(),
    entries: z.number(),
    head: z.object({ seq: z.number(), hash: z.string() }),
    firstBad: z.object({ seq: z.number(), problem: z.string() }).optional(),
    peers: z.array(
      z.object({
        peer: z.string(),
        seq: z.number(),
        ok: z.boolean(),
        problem: z.string().optional(),
      }),
    ),
  })
  .openapi('AuditVerdict');

export const HeadIn = z
  .object({
    run: z.string().max(64),
    seq: z.number().int().min(0),
    hash: Hash,
    signature: z.string().max(512),
    node: z.string().optional(),
  })
  .strict();

export const PolicyIn = z
  .object({
    maxEpsilonPerRun: z.number().positive().max(1000).nullable(),
    minCellSize: z.number().int().min(0).max(1_000_000).nullable(),
    budget: z
      .object({ epsilon: z.number().min(0).max(1000), delta: z.number().min(0).max(1) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('Policy');

export const DiffOut = z
  .object({
    previous: z.string().nullable(),
    lines: z.array(z.object({ op: z.enum([' ', '+', '-']), text: z.string() })),
    analyses: z.object({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.string()),
    }),
  })
  .openapi('ProposalDiff');
