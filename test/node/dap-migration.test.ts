/**
 * Migration 5 on a Leader's database written by migration 4's code: a ready
 * job's reports stay its own (listed on the job row, with their time span),
 * pending reports stay pending, and reports aggregated before jobs existed are
 * never taken by a job again.
 */
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations.js';
import { PgliteDialect } from '../../src/node/store/pglite-dialect.js';
import type { Schema } from '../../src/node/store/schema.js';

const id = (b: number): Uint8Array => new Uint8Array(16).fill(b);

describe('DAP store migration 5', () => {
  it('moves report states onto their jobs', async () => {
    const lite = await PGlite.create();
    const db = new Kysely<Schema>({ dialect: new PgliteDialect(lite) });
    try {
      for (const m of MIGRATIONS.filter((x) => x.version <= 4))
        for (const step of m.steps) await step.execute(db);
      await sql`insert into dap_tasks values ('t', 'leader', '{}', 'now')`.execute(db);
      const report = (b: number, time: number, state: string, job: string | null) =>
        sql`insert into dap_reports (task_id, report_id, time, public_share, leader_input_share,
          helper_encrypted_share, state, job_id)
          values ('t', ${id(b)}, ${time}, ''::bytea, ''::bytea, ''::bytea, ${state}, ${job})`.execute(
          db,
        );
      await report(3, 30, 'in_job', 'J');
      await report(1, 50, 'in_job', 'J');
      await report(2, 40, 'pending', null);
      await report(4, 10, 'aggregated', null);
      await sql`insert into dap_leader_jobs (task_id, job_id, state, report_count, created_at)
        values ('t', 'J', 'ready', 2, 'now')`.execute(db);
      for (const step of MIGRATIONS.find((x) => x.version === 5)!.steps) await step.execute(db);

      const job = await db.selectFrom('dap_leader_jobs').selectAll().executeTakeFirstOrThrow();
      expect(new Uint8Array(job.report_ids)).toEqual(new Uint8Array([...id(1), ...id(3)]));
      expect([Number(job.min_time), Number(job.max_time)]).toEqual([30, 50]);
      const pending = await db
        .selectFrom('dap_reports')
        .select('report_id')
        .where('job_id', 'is', null)
        .execute();
      expect(pending.map((r) => new Uint8Array(r.report_id))).toEqual([id(2)]);
    } finally {
      await db.destroy();
    }
  });
});
