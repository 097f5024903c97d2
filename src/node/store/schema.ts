/**
 * The node's tables as Kysely types: one schema for PGlite and PostgreSQL
 * (created by migrations.ts). Times are ISO-8601 text and JSON documents are
 * text, so both backends return exactly the bytes that were written (the
 * audit chain hashes them; jsonb would reorder keys).
 */
import type { DataFormat } from '../../analytics/data/table.js';
import type { Generated, Insertable, Kysely, Selectable } from 'kysely';

export type Role = 'owner' | 'analyst' | 'auditor';

export interface UsersTable {
  id: string;
  name: string;
  role: Role;
  /** The public part of the user's token, to find the row. */
  token_id: string;
  /** scrypt$N$r$p$salt$hash of the token's secret part. */
  token_hash: string;
  created_at: string;
  disabled: boolean;
}

export interface DatasetsTable {
  name: string;
  path: string;
  format: DataFormat;
  /** The schema as the study format writes it (JSON text). */
  schema_json: string;
  /** SHA-256 of the file's bytes, hex: an approval binds to this version. */
  content_hash: string;
  rows: number;
  registered_at: string;
  registered_by: string;
  /** The owner's policy: the largest epsilon one run may spend, and the smallest cell released. */
  max_epsilon_per_run: number | null;
  min_cell_size: number | null;
}

export interface BudgetsTable {
  dataset: string;
  epsilon_total: number;
  delta_total: number;
  epsilon_spent: number;
  delta_spent: number;
  /** Held by runs in progress: spent when they release, given back when they fail. */
  epsilon_reserved: number;
  delta_reserved: number;
}

export interface LedgerTable {
  id: Generated<number>;
  dataset: string;
  run_id: string;
  kind: 'reserve' | 'charge' | 'return';
  epsilon: number;
  delta: number;
  at: string;
}

export type ProposalStatus = 'pending' | 'approved' | 'refused' | 'superseded' | 'ran';

export interface ProposalsTable {
  id: string;
  /** SHA-256 over the canonical proposal (study text, suite, parties, proposer): what approvals sign. */
  hash: string;
  study_name: string;
  study_text: string;
  suite: string;
  /** JSON list of the node ids the study names, in the study's order. */
  parties: string;
  proposer_node: string;
  proposer_user: string;
  /** The id of the proposal this one replaces (same study, changed), if any. */
  supersedes: string | null;
  /** JSON: what would be released (analyses, cells, minimum cell size, DP cost). */
  summary: string;
  status: ProposalStatus;
  created_at: string;
}

export interface ApprovalsTable {
  proposal_id: string;
  node: string;
  decision: 'approve' | 'refuse';
  reason: string | null;
  /** JSON: the owner's conditions (maxEpsilon, minCellSize), checked against the proposal. */
  conditions: string;
  /** The proposal hash this decision is for. */
  hash: string;
  user_name: string;
  /** Base64 ECDSA P-256 signature of the node over the decision (see governance.ts). */
  signature: string;
  at: string;
}

export type RunState = 'queued' | 'running' | 'released' | 'failed';

export interface RunsTable {
  id: string;
  proposal_id: string;
  hash: string;
  state: RunState;
  /** JSON list of progress lines, newest last. */
  progress: string;
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface ReleasesTable {
  run_id: string;
  /** JSON: the study outcome after suppression and noise, as the engine released it. */
  outcome: string;
  epsilon: number;
  delta: number;
  at: string;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  /** Canonical JSON text. */
  body: string;
  prev_hash: string;
  hash: string;
  signature: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface PeerHeadsTable {
  peer: string;
  seq: number;
  hash: string;
  signature: string;
  run_id: string;
  received_at: string;
}

/** DAP aggregator (src/node/dap). int8 columns come back as strings from pg: read with Number(). */
export interface DapTasksTable {
  task_id: string;
  role: 'leader' | 'helper';
  config_json: string;
  created_at: string;
}

export interface DapReportsTable {
  task_id: string;
  report_id: Uint8Array;
  time: number | string;
  public_share: Uint8Array;
  leader_input_share: Uint8Array;
  helper_encrypted_share: Uint8Array;
  /**
   * The Leader's aggregation job that took the report (migration 4); null while
   * pending. The job's state is the report's (migration 5).
   */
  job_id: Generated<string | null>;
}

/** The Leader's aggregation jobs, leased by workers (migration 4). */
export interface DapLeaderJobsTable {
  task_id: string;
  job_id: string;
  state: 'ready' | 'finished' | 'failed';
  /** Milliseconds since the epoch; int8, a string from pg. */
  lease_expiry: Generated<number | string>;
  lease_token: string | null;
  lease_owner: string | null;
  attempts: Generated<number>;
  report_count: number;
  /** The job's reports: their 16-byte ids concatenated in id order (migration 5). */
  report_ids: Uint8Array;
  /** The earliest and latest of its reports' times (migration 5); int8. */
  min_time: number | string;
  max_time: number | string;
  created_at: string;
}

export interface DapSeenReportsTable {
  task_id: string;
  report_id: Uint8Array;
}

export interface DapBatchesTable {
  task_id: string;
  bucket_start: number | string;
  aggregate_share: Uint8Array;
  report_count: number | string;
  checksum: Uint8Array;
  query_count: Generated<number>;
}

export interface DapAggregationJobsTable {
  task_id: string;
  job_id: string;
  request_hash: Uint8Array;
  response: Uint8Array;
}

export interface DapRejectionsTable {
  task_id: string;
  reason: string;
  count: number | string;
}

export interface DapCollectionJobsTable {
  task_id: string;
  job_id: string;
  batch_start: number | string;
  batch_duration: number | string;
  state: 'pending' | 'finished' | 'failed';
  result: Uint8Array | null;
  error: string | null;
  created_at: string;
}

export interface SchemaVersionTable {
  version: number;
  applied_at: string;
}

export interface Schema {
  entente_schema: SchemaVersionTable;
  users: UsersTable;
  datasets: DatasetsTable;
  budgets: BudgetsTable;
  ledger: LedgerTable;
  proposals: ProposalsTable;
  approvals: ApprovalsTable;
  runs: RunsTable;
  releases: ReleasesTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  peer_heads: PeerHeadsTable;
  dap_tasks: DapTasksTable;
  dap_reports: DapReportsTable;
  dap_seen_reports: DapSeenReportsTable;
  dap_batches: DapBatchesTable;
  dap_aggregation_jobs: DapAggregationJobsTable;
  dap_leader_jobs: DapLeaderJobsTable;
  dap_rejections: DapRejectionsTable;
  dap_collection_jobs: DapCollectionJobsTable;
}

export type NodeDb = Kysely<Schema>;
export type User = Selectable<UsersTable>;
export type Dataset = Selectable<DatasetsTable>;
export type Budget = Selectable<BudgetsTable>;
export type Proposal = Selectable<ProposalsTable>;
export type NewProposal = Insertable<ProposalsTable>;
export type Approval = Selectable<ApprovalsTable>;
export type Run = Selectable<RunsTable>;
export type Release = Selectable<ReleasesTable>;
export type AuditEntry = Selectable<AuditLogTable>;
