/**
 * Versioned schema migrations, applied in order when a node starts, each in
 * its own transaction with the version row that records it. A database whose
 * version is newer than this code knows is refused: an older build must not
 * write into a schema it does not understand (roll the code forward instead).
 *
 * Migrations are constant SQL (no values spliced in) and run unchanged on
 * PGlite and PostgreSQL. Append new ones at the end; never edit a released one.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly steps: readonly RawBuilder<unknown>[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      'users, datasets, budgets, ledger, proposals, approvals, runs, releases, audit log',
    steps: [
      sql`create table users (
        id text primary key,
        name text not null unique,
        role text not null check (role in ('owner', 'analyst', 'auditor')),
        token_id text not null unique,
        token_hash text not null,
        created_at text not null,
        disabled boolean not null default false)`,
      sql`create table datasets (
        name text primary key,
        path text not null,
        format text not null check (format in ('csv', 'jsonl')),
        schema_json text not null,
        content_hash text not null,
        rows integer not null,
        registered_at text not null,
        registered_by text not null,
        max_epsilon_per_run double precision,
        min_cell_size integer)`,
      sql`create table budgets (
        dataset text primary key references datasets(name),
        epsilon_total double precision not null check (epsilon_total >= 0),
        delta_total double precision not null check (delta_total >= 0),
        epsilon_spent double precision not null default 0,
        delta_spent double precision not null default 0,
        epsilon_reserved double precision not null default 0,
        delta_reserved double precision not null default 0,
        -- The ledger can never promise more than the owner allowed (tiny slack for float sums).
        check (epsilon_spent + epsilon_reserved <= epsilon_total * (1 + 1e-9) + 1e-12),
        check (delta_spent + delta_reserved <= delta_total * (1 + 1e-9) + 1e-18))`,
      sql`create table ledger (
        id serial primary key,
        dataset text not null references datasets(name),
        run_id text not null,
        kind text not null check (kind in ('reserve', 'charge', 'return')),
        epsilon double precision not null,
        delta double precision not null,
        at text not null)`,
      sql`create table proposals (
        id text primary key,
        hash text not null unique,
        study_name text not null,
        study_text text not null,
        suite text not null,
        parties text not null,
        proposer_node text not null,
        proposer_user text not null,
        supersedes text,
        summary text not null,
        status text not null,
        created_at text not null)`,
      sql`create table approvals (
        proposal_id text not null references proposals(id),
        node text not null,
        decision text not null check (decision in ('approve', 'refuse')),
        reason text,
        conditions text not null,
        hash text not null,
        user_name text not null,
        signature text not null,
        at text not null,
        primary key (proposal_id, node))`,
      sql`create table runs (
        id text primary key,
        proposal_id text not null references proposals(id),
        hash text not null,
        state text not null check (state in ('queued', 'running', 'released', 'failed')),
        progress text not null,
        reason text,
        started_at text not null,
        finished_at text)`,
      sql`create table releases (
        run_id text primary key references runs(id),
        outcome text not null,
        epsilon double precision not null,
        delta double precision not null,
        at text not null)`,
      sql`create table audit_log (
        seq integer primary key,
        at text not null,
        kind text not null,
        actor text not null,
        body text not null,
        prev_hash text not null,
        hash text not null,
        signature text not null)`,
      sql`create table audit_head (
        id integer primary key check (id = 1),
        seq integer not null,
        hash text not null)`,
      sql`insert into audit_head (id, seq, hash) values (1, 0, repeat('0', 64))`,
      // Append-only: the database itself refuses to change or remove an entry.
      sql`create function entente_audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'audit_log is append-only'; end $$`,
      sql`create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function entente_audit_append_only()`,
      sql`create table peer_heads (
        peer text not null,
        seq integer not null,
        hash text not null,
        signature text not null,
        run_id text not null,
        received_at text not null,
        primary key (peer, seq))`,
    ],
  },
  {
    version: 2,
    description: 'datasets may be Parquet files (read through DuckDB)',
    steps: [
      sql`alter table datasets drop constraint datasets_format_check`,
      sql`alter table datasets add constraint datasets_format_check
        check (format in ('csv', 'jsonl', 'parquet'))`,
    ],
  },
  {
    version: 3,
    description:
      'DAP aggregator: tasks, uploaded reports, seen report ids, batch aggregates, rejections, collection jobs',
    steps: [
      // The task document holds the verification key, tokens and HPKE private key.
      sql`create table dap_tasks (
        task_id text primary key,
        role text not null check (role in ('leader', 'helper')),
        config_json text not null,
        created_at text not null)`,
      // Leader: reports accepted at upload, the Leader's input share already decrypted.
      sql`create table dap_reports (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        report_id bytea not null,
        time bigint not null,
        public_share bytea not null,
        leader_input_share bytea not null,
        helper_encrypted_share bytea not null,
        state text not null check (state in ('pending', 'aggregated', 'rejected')),
        primary key (task_id, report_id))`,
      sql`create index dap_reports_pending on dap_reports (task_id, state, time)`,
      // Helper: report ids it has prepared, for anti-replay.
      sql`create table dap_seen_reports (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        report_id bytea not null,
        primary key (task_id, report_id))`,
      // Both: the sum of output shares per time bucket (report time rounded to the precision).
      sql`create table dap_batches (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        bucket_start bigint not null,
        aggregate_share bytea not null,
        report_count bigint not null,
        checksum bytea not null,
        query_count integer not null default 0,
        primary key (task_id, bucket_start))`,
      // Helper: each aggregation job's request digest and response, so a repeated PUT
      // (a Leader's retry) gets the same answer instead of every report refused as a replay.
      sql`create table dap_aggregation_jobs (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        job_id text not null,
        request_hash bytea not null,
        response bytea not null,
        primary key (task_id, job_id))`,
      sql`create table dap_rejections (
        task_id text not null,
        reason text not null,
        count bigint not null,
        primary key (task_id, reason))`,
      sql`create table dap_collection_jobs (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        job_id text not null,
        batch_start bigint not null,
        batch_duration bigint not null,
        state text not null check (state in ('pending', 'finished', 'failed')),
        result bytea,
        error text,
        created_at text not null,
        primary key (task_id, job_id))`,
    ],
  },
  {
    version: 4,
    description:
      'DAP Leader: aggregation jobs in the database, leased by worker processes (lease expiry, attempts)',
    steps: [
      // A report is 'pending' until a job takes it ('in_job'), then 'aggregated' or 'rejected'.
      sql`alter table dap_reports drop constraint if exists dap_reports_state_check`,
      sql`alter table dap_reports add constraint dap_reports_state_check
        check (state in ('pending', 'in_job', 'aggregated', 'rejected'))`,
      sql`alter table dap_reports add column job_id text`,
      sql`create index dap_reports_job on dap_reports (task_id, job_id)`,
      // job_id is the DAP aggregation job id, fixed when the job is made, so a retry
      // after a crash sends the Helper the same job and gets its stored answer.
      // A job is leasable when 'ready' and its lease_expiry (ms since the epoch) has passed.
      sql`create table dap_leader_jobs (
        task_id text not null references dap_tasks(task_id) on delete cascade,
        job_id text not null,
        state text not null check (state in ('ready', 'finished', 'failed')),
        lease_expiry bigint not null default 0,
        lease_token text,
        lease_owner text,
        attempts integer not null default 0,
        report_count integer not null,
        created_at text not null,
        primary key (task_id, job_id))`,
      sql`create index dap_leader_jobs_ready on dap_leader_jobs (state, lease_expiry)`,
    ],
  },
  {
    version: 5,
    description:
      'DAP Leader: a report is written once at upload and once when a job takes it; its job row lists its ids and holds its state',
    steps: [
      // A job lists its reports (their 16-byte ids concatenated in id order) and the span
      // of their times, so that finishing or failing it writes the job row only, not
      // every report row again. A report without a job is pending; with one, it is
      // aggregated, rejected or still being aggregated as its job is finished, failed or ready.
      sql`alter table dap_leader_jobs add column report_ids bytea`,
      sql`alter table dap_leader_jobs add column min_time bigint`,
      sql`alter table dap_leader_jobs add column max_time bigint`,
      sql`update dap_leader_jobs j set report_ids = r.ids, min_time = r.lo, max_time = r.hi
        from (select task_id, job_id, string_agg(report_id, ''::bytea order by report_id) as ids,
                min(time) as lo, max(time) as hi
              from dap_reports where job_id is not null group by task_id, job_id) r
        where j.task_id = r.task_id and j.job_id = r.job_id`,
      sql`update dap_leader_jobs set report_ids = ''::bytea, min_time = 0, max_time = 0
        where report_ids is null`,
      sql`alter table dap_leader_jobs alter column report_ids set not null`,
      sql`alter table dap_leader_jobs alter column min_time set not null`,
      sql`alter table dap_leader_jobs alter column max_time set not null`,
      // Reports aggregated or rejected before jobs existed (migration 3) belong to no
      // job: they get a job id no job has, so they are not taken again.
      sql`update dap_reports set job_id = '-' where job_id is null and state <> 'pending'`,
      sql`drop index if exists dap_reports_pending`,
      sql`drop index if exists dap_reports_job`,
      sql`alter table dap_reports drop column state`,
      sql`create index dap_reports_unjobbed on dap_reports (task_id, time) where job_id is null`,
      sql`create index dap_leader_jobs_span on dap_leader_jobs (task_id, state, min_time)`,
    ],
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The database's schema is newer than this build: refuse to start. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

/**
 * Brings the database to SCHEMA_VERSION. Returns the versions applied.
 * @throws {SchemaTooNewError} when the database is at a version this code does not know.
 */
export async function migrate(db: Kysely<unknown>): Promise<number[]> {
  await sql`create table if not exists entente_schema (
    version integer primary key, applied_at text not null)`.execute(db);
  const rows = await sql<{
    v: number | null;
  }>`select max(version) as v from entente_schema`.execute(db);
  const current = rows.rows[0]?.v ?? 0;
  if (current > SCHEMA_VERSION)
    throw new SchemaTooNewError(
      `database schema is at version ${current}, but this build of Entente knows versions up to ${SCHEMA_VERSION}; upgrade Entente (docs/NODE.md, "Upgrades")`,
    );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await db.transaction().execute(async (tx) => {
      for (const step of m.steps) await step.execute(tx);
      await sql`insert into entente_schema (version, applied_at) values (${m.version}, ${new Date().toISOString()})`.execute(
        tx,
      );
    });
    applied.push(m.version);
  }
  return applied;
}
