/**
 * The Leader's aggregation jobs (draft-ietf-ppm-dap-09, section 4.4.1) as rows
 * of the database that workers lease, after Janus's pattern: a job is made by
 * taking up to `jobSize` pending reports (`FOR UPDATE SKIP LOCKED`, so two
 * workers never take the same report), leased by one worker at a time (a lease
 * token and an expiry; `SKIP LOCKED` again, so workers do not queue on one
 * another), and finished in one transaction that adds the output shares to the
 * per-bucket sums, marks the job finished (and with it its reports: a job row
 * lists its report ids, so a report row is written at upload and once more when
 * a job takes it, never when the job ends) and counts rejections, only if the
 * lease is still the worker's. A worker that dies mid-job (kill -9)
 * leaves the job leased until the expiry; another worker then runs it again
 * under the same DAP job id, so the Helper answers with its stored response
 * and no report is prepared or counted twice. After `maxAttempts` leases the
 * job is failed and its reports are counted as rejected ('job_failed').
 *
 * Prio3 has one preparation round: the Leader's `initialize` ping-pong message
 * and the Helper's `finish` complete each report in one request.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { bytesEqual, DapDecodeError, toBase64Url } from '../../dap/codec.js';
import * as msg from '../../dap/messages.js';
import * as vdafs from '../../dap/vdaf.js';
import { MEDIA_TYPES } from '../../dap/version.js';
import type { NodeDb } from '../store/schema.js';
import { DapRequestError } from './errors.js';
import { helperRequest } from './helper-client.js';
import {
  addToBuckets,
  countRejection,
  reportChecksum,
  xorInto,
  type BucketDelta,
} from './store.js';
import { bucketOf, shareCodec, snake, type DapContext, type LoadedTask } from './tasks.js';

/** How a worker leases jobs. */
export interface LeaseOptions {
  /** How long a lease lasts: longer than a job takes (the Helper request is bounded separately). */
  readonly leaseMs: number;
  /** Leases of one job after which it is failed and its reports rejected. */
  readonly maxAttempts: number;
  /** The worker's name, recorded on the job (logs, tests). */
  readonly owner: string;
}

/** A job this worker holds until `expiry` (ms since the epoch). */
export interface Lease {
  readonly taskId: string;
  readonly jobId: string;
  readonly token: string;
  readonly attempts: number;
  readonly expiry: number;
}

/** The lease expired and another worker took the job: this worker's result is dropped. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

const nowMs = (): number => Date.now();

/**
 * Makes jobs of `jobSize` of the task's pending reports, oldest first, and
 * with `partial` one more of the rest. Safe to run in several processes at once.
 */
export async function makeJobs(
  ctx: DapContext,
  idText: string,
  jobSize: number,
  partial: boolean,
): Promise<number> {
  let made = 0;
  for (;;) {
    const n = await ctx.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('dap_reports')
        .select(['report_id', 'time'])
        .where('task_id', '=', idText)
        .where('job_id', 'is', null)
        .orderBy('time')
        .limit(jobSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0 || (rows.length < jobSize && !partial)) return 0;
      const jobId = toBase64Url(new Uint8Array(randomBytes(msg.JOB_ID_LEN)));
      const ids = rows.map((r) => new Uint8Array(r.report_id)).sort(compareBytes);
      const times = rows.map((r) => Number(r.time));
      await tx
        .insertInto('dap_leader_jobs')
        .values({
          task_id: idText,
          job_id: jobId,
          state: 'ready',
          lease_token: null,
          lease_owner: null,
          report_count: rows.length,
          report_ids: concatIds(ids),
          min_time: times.reduce((a, b) => Math.min(a, b)),
          max_time: times.reduce((a, b) => Math.max(a, b)),
          created_at: new Date().toISOString(),
        })
        .execute();
      // The reports' one write after their upload: the job that took them.
      for (let i = 0; i < ids.length; i += ID_BATCH)
        await tx
          .updateTable('dap_reports')
          .set({ job_id: jobId })
          .where('task_id', '=', idText)
          .where('report_id', 'in', ids.slice(i, i + ID_BATCH))
          .execute();
      return rows.length;
    });
    if (n === 0) return made;
    made++;
  }
}

/** Report ids per statement (PostgreSQL binds at most 65,535 parameters). */
const ID_BATCH = 10_000;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A job's report ids as one column: 16 bytes each, in id order. */
function concatIds(ids: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * msg.REPORT_ID_LEN);
  ids.forEach((id, i) => out.set(id, i * msg.REPORT_ID_LEN));
  return out;
}

function splitIds(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += msg.REPORT_ID_LEN)
    out.push(b.subarray(i, i + msg.REPORT_ID_LEN));
  return out;
}

/**
 * Leases the oldest ready job whose lease has expired (of one task, or of any
 * task this database leads), or returns undefined.
 */
export async function leaseJob(
  ctx: DapContext,
  o: LeaseOptions,
  idText?: string,
): Promise<Lease | undefined> {
  const now = nowMs();
  const token = toBase64Url(new Uint8Array(randomBytes(16)));
  const expiry = now + o.leaseMs;
  const taskFilter = idText === undefined ? sql`` : sql`and task_id = ${idText}`;
  const r = await sql<{ task_id: string; job_id: string; attempts: number }>`
    update dap_leader_jobs set lease_expiry = ${expiry}, lease_token = ${token},
      lease_owner = ${o.owner}, attempts = attempts + 1
    where (task_id, job_id) = (
      select task_id, job_id from dap_leader_jobs
      where state = 'ready' and lease_expiry <= ${now} ${taskFilter}
      order by created_at limit 1 for update skip locked)
    returning task_id, job_id, attempts`.execute(ctx.db);
  const row = r.rows[0];
  if (!row) return undefined;
  return { taskId: row.task_id, jobId: row.job_id, token, attempts: row.attempts, expiry };
}

/**
 * Locks the job row if this worker still holds its lease and the job is
 * ready; the caller's transaction then finishes it. Throws LeaseLostError
 * otherwise.
 */
async function holdLease(tx: NodeDb, l: Lease, state: 'finished' | 'failed'): Promise<void> {
  const r = await tx
    .updateTable('dap_leader_jobs')
    .set({ state })
    .where('task_id', '=', l.taskId)
    .where('job_id', '=', l.jobId)
    .where('lease_token', '=', l.token)
    .where('state', '=', 'ready')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw new LeaseLostError(`aggregation job ${l.jobId}: lease lost to another worker`);
}

/** Gives the job back after a failed attempt, leasable again after `retryMs`. */
export async function releaseLease(ctx: DapContext, l: Lease, retryMs: number): Promise<void> {
  await ctx.db
    .updateTable('dap_leader_jobs')
    .set({ lease_expiry: nowMs() + retryMs, lease_token: null })
    .where('task_id', '=', l.taskId)
    .where('job_id', '=', l.jobId)
    .where('lease_token', '=', l.token)
    .execute();
}

/**
 * Fails a job leased too many times: its reports (the job's state is theirs)
 * are counted as rejected, never aggregated.
 */
export async function failJob(ctx: DapContext, l: Lease): Promise<number> {
  return ctx.db.transaction().execute(async (tx) => {
    await holdLease(tx, l, 'failed');
    const job = await tx
      .selectFrom('dap_leader_jobs')
      .select('report_count')
      .where('task_id', '=', l.taskId)
      .where('job_id', '=', l.jobId)
      .executeTakeFirstOrThrow();
    await countRejection(tx, l.taskId, 'job_failed', job.report_count);
    return job.report_count;
  });
}

/**
 * Runs one leased job to the end: the Leader's preparation, the Helper's
 * round, and the finishing transaction. Throws (leaving the job to a retry)
 * if the Helper cannot be reached or answers wrongly, and LeaseLostError if
 * the lease expired meanwhile and another worker took the job.
 */
export async function runLeasedJob(
  ctx: DapContext,
  l: Lease,
  afterHelperAnswer?: (l: Lease) => Promise<void>,
): Promise<{ aggregated: number; rejected: number }> {
  const t = await ctx.tasks.loadAs(l.taskId, 'leader');
  const job = await ctx.db
    .selectFrom('dap_leader_jobs')
    .select('report_ids')
    .where('task_id', '=', l.taskId)
    .where('job_id', '=', l.jobId)
    .executeTakeFirstOrThrow();
  const ids = splitIds(new Uint8Array(job.report_ids));
  const rows = [];
  for (let i = 0; i < ids.length; i += ID_BATCH)
    rows.push(
      ...(await ctx.db
        .selectFrom('dap_reports')
        .select([
          'report_id',
          'time',
          'public_share',
          'leader_input_share',
          'helper_encrypted_share',
        ])
        .where('task_id', '=', l.taskId)
        .where('report_id', 'in', ids.slice(i, i + ID_BATCH))
        .execute()),
    );
  // Ordered by id so a retry sends the Helper byte for byte the same request.
  rows.sort((a, b) => compareBytes(new Uint8Array(a.report_id), new Uint8Array(b.report_id)));
  return runJob(ctx, t, l, rows, afterHelperAnswer);
}

async function runJob(
  ctx: DapContext,
  t: LoadedTask,
  l: Lease,
  rows: {
    report_id: Uint8Array;
    time: number | string;
    public_share: Uint8Array;
    leader_input_share: Uint8Array;
    helper_encrypted_share: Uint8Array;
  }[],
  afterHelperAnswer?: (l: Lease) => Promise<void>,
): Promise<{ aggregated: number; rejected: number }> {
  const inits: msg.PrepareInit[] = [];
  const states: {
    id: Uint8Array;
    time: number;
    state: vdafs.Prio3State;
    share: vdafs.Prio3PrepShare;
  }[] = [];
  const bad: Uint8Array[] = [];
  for (const row of rows) {
    const id = new Uint8Array(row.report_id);
    const time = Number(row.time);
    try {
      const p = t.prep.prepInit(
        t.task.verifyKey,
        0,
        id,
        new Uint8Array(row.public_share),
        new Uint8Array(row.leader_input_share),
      );
      states.push({ id, time, state: p.state, share: p.share });
      inits.push({
        reportShare: {
          metadata: { reportId: id, time },
          publicShare: new Uint8Array(row.public_share),
          encryptedInputShare: msg.decodeHpkeCiphertext(new Uint8Array(row.helper_encrypted_share)),
        },
        payload: msg.encodePingPong({
          type: 'initialize',
          prepShare: t.prep.encodePrepShare(p.share),
        }),
      });
    } catch (e) {
      if (!(e instanceof vdafs.VdafPrepError || e instanceof DapDecodeError)) throw e;
      bad.push(id);
    }
  }
  if (inits.length === 0)
    return ctx.db.transaction().execute(async (tx) => {
      await holdLease(tx, l, 'finished');
      await countRejection(tx, t.idText, 'vdaf_prep_error', bad.length);
      return { aggregated: 0, rejected: bad.length };
    });

  const respBytes = await helperRequest(
    ctx,
    t,
    'PUT',
    `tasks/${t.idText}/aggregation_jobs/${l.jobId}`,
    MEDIA_TYPES.aggregationJobInitReq,
    msg.encodeAggregationJobInitReq({ aggParam: new Uint8Array(0), prepareInits: inits }),
  );
  await afterHelperAnswer?.(l);
  let resp: msg.AggregationJobResp;
  try {
    resp = msg.decodeAggregationJobResp(respBytes);
  } catch (e) {
    throw new DapRequestError(
      'invalidMessage',
      502,
      `helper's AggregationJobResp: ${(e as Error).message}`,
      t.idText,
    );
  }
  // draft-09 4.4.1.2: one response per report, in the order sent.
  if (
    resp.prepareResps.length !== states.length ||
    resp.prepareResps.some((p, i) => !bytesEqual(p.reportId, states[i]!.id))
  )
    throw new DapRequestError(
      'invalidMessage',
      502,
      'helper answered for other reports than those sent',
      t.idText,
    );

  const deltas = new Map<number, BucketDelta>();
  const done: Uint8Array[] = [];
  const doneTimes: number[] = [];
  const failed: Uint8Array[] = [];
  const reasons = new Map<string, number>();
  const fail = (id: Uint8Array, reason: string): void => {
    failed.push(id);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  resp.prepareResps.forEach((p, i) => {
    const s = states[i]!;
    if (p.result === 'reject') return fail(s.id, `helper_${snake(p.error)}`);
    if (p.result !== 'continue') return fail(s.id, 'invalid_message');
    let out: vdafs.FieldVec;
    try {
      const pp = msg.decodePingPong(p.payload);
      if (pp.type !== 'finish') return fail(s.id, 'invalid_message');
      out = t.prep.prepNext(s.state, pp.prepMsg);
    } catch (e) {
      if (!(e instanceof vdafs.VdafPrepError || e instanceof DapDecodeError)) throw e;
      return fail(s.id, 'vdaf_prep_error');
    }
    const bucket = bucketOf(t, s.time);
    let d = deltas.get(bucket);
    if (!d) {
      d = { bucket, sum: t.zero.slice(), count: 0, checksum: new Uint8Array(32) };
      deltas.set(bucket, d);
    }
    t.prep.field.addVec(d.sum, out);
    d.count++;
    xorInto(d.checksum, reportChecksum(s.id));
    done.push(s.id);
    doneTimes.push(s.time);
  });
  if (bad.length > 0)
    reasons.set('vdaf_prep_error', (reasons.get('vdaf_prep_error') ?? 0) + bad.length);
  // One transaction: the sums, the reports' states, the counters and the job's
  // state change together, and only while this worker holds the lease.
  await ctx.db.transaction().execute(async (tx) => {
    await holdLease(tx, l, 'finished');
    const collected = await addToBuckets(
      tx,
      t.idText,
      deltas.values(),
      shareCodec(t).add,
      shareCodec(t).encode,
      shareCodec(t).decode,
    );
    // Late reports for a batch collected meanwhile: never aggregated.
    for (let i = done.length - 1; i >= 0; i--)
      if (collected.has(bucketOf(t, doneTimes[i]!))) {
        fail(done[i]!, 'batch_collected');
        done.splice(i, 1);
        doneTimes.splice(i, 1);
      }
    // The reports' rows are not written again: the job's state is theirs, and
    // the rejected ones are counted by reason.
    for (const [reason, n] of reasons) await countRejection(tx, t.idText, reason, n);
  });
  return { aggregated: done.length, rejected: bad.length + failed.length };
}
