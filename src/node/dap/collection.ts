/**
 * The Leader's collection jobs (draft-ietf-ppm-dap-09, section 4.4.2): created
 * by the Collector's PUT, polled with POST until the batch holds at least the
 * task's minimum of aggregated reports; then the Leader asks the Helper for its
 * aggregate share and releases both, sealed to the Collector, at most the
 * task's number of times per batch.
 */
import { fromBase64Url } from '../../dap/codec.js';
import * as msg from '../../dap/messages.js';
import { MEDIA_TYPES } from '../../dap/version.js';
import { checkInterval, sealShare } from './aggregate-share.js';
import { DapRequestError } from './errors.js';
import { helperRequest, HelperUnreachable } from './helper-client.js';
import { markCollected, readInterval, unfinishedReports } from './store.js';
import { invalid, requireToken, shareCodec, type DapContext, type LoadedTask } from './tasks.js';

/** How a poll gets the task's pending reports aggregated before reading the batch. */
export interface CollectionDriver {
  /** Runs the task's aggregation jobs in this process, or nothing when workers do it. */
  aggregatePending(idText: string): Promise<unknown>;
  /** Runs f after any other aggregation or collection of the task in this process. */
  serial<T>(idText: string, f: () => Promise<T>): Promise<T>;
}

/** draft-09 section 4.4.2: a collection job is created (PUT). */
export async function createCollection(
  ctx: DapContext,
  idText: string,
  jobId: string,
  token: string | undefined,
  body: Uint8Array,
): Promise<void> {
  const t = await ctx.tasks.loadAs(idText, 'leader');
  requireToken(token, t.task.collectorToken, idText);
  try {
    fromBase64Url(jobId, msg.JOB_ID_LEN, 'collection job id');
  } catch (e) {
    throw invalid((e as Error).message, idText);
  }
  let req: msg.CollectionReq;
  try {
    req = msg.decodeCollectionReq(body);
  } catch (e) {
    throw invalid((e as Error).message, idText);
  }
  if (req.aggParam.length !== 0)
    throw invalid('Prio3 takes an empty aggregation parameter', idText);
  checkInterval(t, req.query);
  const existing = await collectionJob(ctx, idText, jobId);
  if (existing) {
    // A repeated PUT with the same query is the same job.
    if (
      Number(existing.batch_start) === req.query.start &&
      Number(existing.batch_duration) === req.query.duration
    )
      return;
    throw new DapRequestError(
      'invalidMessage',
      409,
      'collection job id already used for another query',
      idText,
    );
  }
  await ctx.db
    .insertInto('dap_collection_jobs')
    .values({
      task_id: idText,
      job_id: jobId,
      batch_start: req.query.start,
      batch_duration: req.query.duration,
      state: 'pending',
      result: null,
      error: null,
      created_at: new Date().toISOString(),
    })
    .execute();
}

/**
 * draft-09 section 4.4.2: the Collector polls (POST). Aggregates pending
 * reports, then, once the batch is large enough, gets the Helper's share
 * and answers with the Collection; null means "not ready" (202).
 */
export async function pollCollection(
  ctx: DapContext,
  idText: string,
  jobId: string,
  token: string | undefined,
  driver: CollectionDriver,
): Promise<Uint8Array | null> {
  const t = await ctx.tasks.loadAs(idText, 'leader');
  requireToken(token, t.task.collectorToken, idText);
  const job = await collectionJob(ctx, idText, jobId);
  if (!job) throw new DapRequestError('invalidMessage', 404, 'unknown collection job', idText);
  if (job.state === 'finished') return new Uint8Array(job.result!);
  if (job.state === 'failed')
    throw new DapRequestError(
      'batchInvalid',
      400,
      `collection job failed: ${job.error ?? ''}`,
      idText,
    );
  const interval = { start: Number(job.batch_start), duration: Number(job.batch_duration) };
  return driver.serial(idText, () => finishCollection(ctx, t, jobId, interval, driver));
}

async function finishCollection(
  ctx: DapContext,
  t: LoadedTask,
  jobId: string,
  interval: msg.Interval,
  driver: CollectionDriver,
): Promise<Uint8Array | null> {
  const idText = t.idText;
  // Another poll of the same job may have finished it while this one waited.
  const again = await collectionJob(ctx, idText, jobId);
  if (again?.state === 'finished') return new Uint8Array(again.result!);
  if (again?.state !== 'pending')
    throw new DapRequestError(
      'batchInvalid',
      400,
      `collection job failed: ${again?.error ?? 'deleted'}`,
      idText,
    );
  await driver.aggregatePending(idText);
  // Reports of the interval still waiting for a job or in one (a worker's, or a
  // dead worker's until its lease expires): not ready yet.
  if ((await unfinishedReports(ctx.db, idText, interval.start, interval.duration)) > 0) return null;
  const agg = await readInterval(
    ctx.db,
    idText,
    interval.start,
    interval.duration,
    t.zero,
    shareCodec(t).add,
    shareCodec(t).decode,
    false,
  );
  if (agg.count < t.task.minBatchSize) return null;
  const fail = async (e: DapRequestError): Promise<never> => {
    await ctx.db
      .updateTable('dap_collection_jobs')
      .set({ state: 'failed', error: e.message })
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .execute();
    throw e;
  };
  if (agg.maxQueryCount >= t.task.maxBatchQueryCount)
    return fail(
      new DapRequestError(
        'batchQueriedTooManyTimes',
        400,
        `batch already collected ${agg.maxQueryCount} time(s)`,
        idText,
      ),
    );
  const helperBytes = await helperRequest(
    ctx,
    t,
    'POST',
    `tasks/${idText}/aggregate_shares`,
    MEDIA_TYPES.aggregateShareReq,
    msg.encodeAggregateShareReq({
      batchInterval: interval,
      aggParam: new Uint8Array(0),
      reportCount: agg.count,
      checksum: agg.checksum,
    }),
  ).catch((e: unknown) =>
    // A refusal by the Helper ends the job; an unreachable Helper leaves it pending for the next poll.
    e instanceof DapRequestError && !(e instanceof HelperUnreachable) ? fail(e) : Promise.reject(e),
  );
  let helperShare: msg.AggregateShare;
  try {
    helperShare = msg.decodeAggregateShare(helperBytes);
  } catch (e) {
    return fail(
      new DapRequestError(
        'invalidMessage',
        502,
        `helper's AggregateShare: ${(e as Error).message}`,
        idText,
      ),
    );
  }
  const result = await ctx.db.transaction().execute(async (tx) => {
    // Re-read under lock: the sums released are the ones the Helper was asked for.
    const locked = await readInterval(
      tx,
      idText,
      interval.start,
      interval.duration,
      t.zero,
      shareCodec(t).add,
      shareCodec(t).decode,
      true,
    );
    if (locked.count !== agg.count)
      throw new DapRequestError('batchMismatch', 500, 'batch changed during collection', idText);
    await markCollected(
      tx,
      idText,
      interval.start,
      interval.duration,
      t.task.timePrecision,
      shareCodec(t).encode(t.zero),
    );
    const collection = msg.encodeCollection({
      reportCount: agg.count,
      interval,
      leaderShare: await sealShare(t, 2, interval, locked.sum),
      helperShare: helperShare.encryptedShare,
    });
    await tx
      .updateTable('dap_collection_jobs')
      .set({ state: 'finished', result: collection })
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .execute();
    return collection;
  });
  return result;
}

export async function deleteCollection(
  ctx: DapContext,
  idText: string,
  jobId: string,
  token: string | undefined,
): Promise<void> {
  const t = await ctx.tasks.loadAs(idText, 'leader');
  requireToken(token, t.task.collectorToken, idText);
  await ctx.db
    .deleteFrom('dap_collection_jobs')
    .where('task_id', '=', idText)
    .where('job_id', '=', jobId)
    .execute();
}

/** The stored collection job `jobId` of task `idText`, if any. */
function collectionJob(ctx: DapContext, idText: string, jobId: string) {
  return ctx.db
    .selectFrom('dap_collection_jobs')
    .selectAll()
    .where('task_id', '=', idText)
    .where('job_id', '=', jobId)
    .executeTakeFirst();
}
