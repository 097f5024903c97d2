/**
 * The DAP aggregator's rows in the node's database (migration 3): provisioned
 * tasks, the Leader's uploaded reports, the Helper's seen report ids, the
 * per-bucket sums of output shares, rejection counters and collection jobs.
 * A bucket is a report time rounded down to the task's time precision; a
 * batch interval is a run of whole buckets.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { NodeDb } from '../store/schema.js';
import type { FieldVec } from '../../dap/vdaf.js';

export type Tx = NodeDb;

/** SHA-256 of a report id: XORed into a batch's checksum (draft-09 section 4.4.4.2). */
export function reportChecksum(reportId: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(reportId).digest());
}

export function xorInto(acc: Uint8Array, x: Uint8Array): void {
  for (let i = 0; i < acc.length; i++) acc[i]! ^= x[i]!;
}

export async function countRejection(
  db: NodeDb,
  taskId: string,
  reason: string,
  n = 1,
): Promise<void> {
  if (n === 0) return;
  await db
    .insertInto('dap_rejections')
    .values({ task_id: taskId, reason, count: n })
    .onConflict((oc) =>
      oc.columns(['task_id', 'reason']).doUpdateSet({ count: sql`dap_rejections.count + ${n}` }),
    )
    .execute();
}

export async function rejectionCounts(db: NodeDb, taskId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('dap_rejections')
    .select(['reason', 'count'])
    .where('task_id', '=', taskId)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.count)]));
}

/** One bucket's contribution: output shares summed, their count and checksum. */
export interface BucketDelta {
  readonly bucket: number;
  readonly sum: FieldVec;
  count: number;
  readonly checksum: Uint8Array;
}

/**
 * Adds deltas into their buckets, under row locks (PostgreSQL `for update`)
 * so concurrent jobs do not lose updates. Refuses buckets already collected:
 * returns them, and adds nothing to them.
 */
export async function addToBuckets(
  tx: Tx,
  taskId: string,
  deltas: Iterable<BucketDelta>,
  add: (acc: FieldVec, d: FieldVec) => void,
  encode: (v: FieldVec) => Uint8Array,
  decode: (b: Uint8Array) => FieldVec,
): Promise<Set<number>> {
  const collected = new Set<number>();
  for (const d of deltas) {
    const row = await tx
      .selectFrom('dap_batches')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('bucket_start', '=', d.bucket)
      .forUpdate()
      .executeTakeFirst();
    if (!row) {
      await tx
        .insertInto('dap_batches')
        .values({
          task_id: taskId,
          bucket_start: d.bucket,
          aggregate_share: encode(d.sum),
          report_count: d.count,
          checksum: d.checksum,
        })
        .execute();
      continue;
    }
    if (row.query_count > 0) {
      collected.add(d.bucket);
      continue;
    }
    const acc = decode(new Uint8Array(row.aggregate_share));
    add(acc, d.sum);
    const checksum = new Uint8Array(row.checksum);
    xorInto(checksum, d.checksum);
    await tx
      .updateTable('dap_batches')
      .set({
        aggregate_share: encode(acc),
        report_count: Number(row.report_count) + d.count,
        checksum,
      })
      .where('task_id', '=', taskId)
      .where('bucket_start', '=', d.bucket)
      .execute();
  }
  return collected;
}

export async function bucketCollected(
  db: NodeDb,
  taskId: string,
  bucket: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('dap_batches')
    .select('query_count')
    .where('task_id', '=', taskId)
    .where('bucket_start', '=', bucket)
    .executeTakeFirst();
  return (row?.query_count ?? 0) > 0;
}

export interface IntervalAggregate {
  readonly sum: FieldVec;
  readonly count: number;
  readonly checksum: Uint8Array;
  /** The most any bucket of the interval has been collected. */
  readonly maxQueryCount: number;
}

/** Sums the buckets of [start, start + duration), locking them when in a transaction. */
export async function readInterval(
  tx: Tx,
  taskId: string,
  start: number,
  duration: number,
  zero: FieldVec,
  add: (acc: FieldVec, d: FieldVec) => void,
  decode: (b: Uint8Array) => FieldVec,
  lock: boolean,
): Promise<IntervalAggregate> {
  let q = tx
    .selectFrom('dap_batches')
    .selectAll()
    .where('task_id', '=', taskId)
    .where('bucket_start', '>=', start)
    .where('bucket_start', '<', start + duration);
  if (lock) q = q.forUpdate();
  const rows = await q.execute();
  const sum = zero.slice();
  const checksum = new Uint8Array(32);
  let count = 0;
  let maxQueryCount = 0;
  for (const r of rows) {
    add(sum, decode(new Uint8Array(r.aggregate_share)));
    xorInto(checksum, new Uint8Array(r.checksum));
    count += Number(r.report_count);
    maxQueryCount = Math.max(maxQueryCount, r.query_count);
  }
  return { sum, count, checksum, maxQueryCount };
}

/**
 * Marks every bucket of the interval as collected once more, creating empty
 * ones, so a report arriving later for a collected interval is refused.
 */
export async function markCollected(
  tx: Tx,
  taskId: string,
  start: number,
  duration: number,
  precision: number,
  emptyShare: Uint8Array,
): Promise<void> {
  const values = [];
  for (let b = start; b < start + duration; b += precision)
    values.push({
      task_id: taskId,
      bucket_start: b,
      aggregate_share: emptyShare,
      report_count: 0,
      checksum: new Uint8Array(32),
      query_count: 1,
    });
  for (let i = 0; i < values.length; i += 1000)
    await tx
      .insertInto('dap_batches')
      .values(values.slice(i, i + 1000))
      .onConflict((oc) =>
        oc
          .columns(['task_id', 'bucket_start'])
          .doUpdateSet({ query_count: sql`dap_batches.query_count + 1` }),
      )
      .execute();
}

/**
 * More than zero while reports of [start, start + duration) may still be
 * aggregated: reports no job has taken yet, plus every report of a job not
 * finished or failed whose reports' times reach into the interval (an upper
 * bound: such a job may also hold reports of other intervals).
 */
export async function unfinishedReports(
  db: NodeDb,
  taskId: string,
  start: number,
  duration: number,
): Promise<number> {
  const pending = await db
    .selectFrom('dap_reports')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('task_id', '=', taskId)
    .where('job_id', 'is', null)
    .where('time', '>=', start)
    .where('time', '<', start + duration)
    .executeTakeFirstOrThrow();
  const inJobs = await db
    .selectFrom('dap_leader_jobs')
    .select((eb) => eb.fn.sum<number | string | null>('report_count').as('n'))
    .where('task_id', '=', taskId)
    .where('state', '=', 'ready')
    .where('min_time', '<', start + duration)
    .where('max_time', '>=', start)
    .executeTakeFirstOrThrow();
  return Number(pending.n) + Number(inJobs.n ?? 0);
}

/** The Leader's reports of a task not yet in a job. */
export async function pendingReports(db: NodeDb, taskId: string): Promise<number> {
  const r = await db
    .selectFrom('dap_reports')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('task_id', '=', taskId)
    .where('job_id', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Reports in the Leader's finished jobs and in jobs still to run, over every task (progress lines). */
export async function jobReports(db: NodeDb): Promise<{ finished: number; ready: number }> {
  const rows = await db
    .selectFrom('dap_leader_jobs')
    .select((eb) => ['state', eb.fn.sum<number | string>('report_count').as('n')])
    .groupBy('state')
    .execute();
  const of = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { finished: of('finished'), ready: of('ready') };
}
