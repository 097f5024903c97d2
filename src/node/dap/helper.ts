/**
 * The Helper (draft-ietf-ppm-dap-09, sections 4.4.1.3 and 4.4.4.2): prepares
 * each aggregation job's reports in its single round and answers with the
 * preparation messages (a repeated PUT of the same job gets the same answer),
 * and releases its aggregate share of a batch once per allowed query.
 */
import { createHash } from 'node:crypto';
import { bytesEqual, DapDecodeError, fromBase64Url, toBase64Url } from '../../dap/codec.js';
import { HpkeOpenError } from '../../dap/hpke.js';
import * as msg from '../../dap/messages.js';
import * as vdafs from '../../dap/vdaf.js';
import { inputShareInfo } from '../../dap/version.js';
import { checkInterval, sealShare } from './aggregate-share.js';
import { DapRequestError } from './errors.js';
import {
  addToBuckets,
  bucketCollected,
  countRejection,
  markCollected,
  readInterval,
  reportChecksum,
  xorInto,
  type BucketDelta,
} from './store.js';
import { bucketOf, invalid, requireToken, shareCodec, snake, type DapContext } from './tasks.js';

/** draft-09 section 4.4.1.3: the Helper's side of an aggregation job's single round. */
export async function helperInit(
  ctx: DapContext,
  idText: string,
  jobId: string,
  token: string | undefined,
  body: Uint8Array,
): Promise<Uint8Array> {
  const t = await ctx.tasks.loadAs(idText, 'helper');
  requireToken(token, t.task.aggregatorToken, idText);
  let req: msg.AggregationJobInitReq;
  try {
    req = msg.decodeAggregationJobInitReq(body);
  } catch (e) {
    throw invalid((e as Error).message, idText);
  }
  if (req.aggParam.length !== 0)
    throw invalid('Prio3 takes an empty aggregation parameter', idText);
  try {
    fromBase64Url(jobId, msg.JOB_ID_LEN, 'aggregation job id');
  } catch (e) {
    throw invalid((e as Error).message, idText);
  }
  // draft-09 4.4.1.3: a repeated PUT of the same job gets the same response.
  const requestHash = new Uint8Array(createHash('sha256').update(body).digest());
  const done = await storedJob(ctx, idText, jobId, requestHash);
  if (done) return done;

  // Prepare first, outside any transaction (the CPU-heavy part); anti-replay,
  // the sums and the stored answer then change together in one transaction.
  const now = ctx.now();
  const entries: { resp: msg.PrepareResp; time: number; out?: vdafs.FieldVec }[] = [];
  const reject = (reportId: Uint8Array, time: number, error: msg.PrepareErrorName): void => {
    entries.push({ resp: { reportId, result: 'reject', error }, time });
  };
  const collectedCache = new Map<number, boolean>();
  for (const p of req.prepareInits) {
    const { metadata, publicShare, encryptedInputShare } = p.reportShare;
    const { reportId, time } = metadata;
    if (time > now + t.task.clockSkew) {
      reject(reportId, time, 'reportTooEarly');
      continue;
    }
    const bucket = bucketOf(t, time);
    if (!collectedCache.has(bucket))
      collectedCache.set(bucket, await bucketCollected(ctx.db, idText, bucket));
    if (collectedCache.get(bucket)) {
      reject(reportId, time, 'batchCollected');
      continue;
    }
    if (encryptedInputShare.configId !== t.task.hpke.config.id) {
      reject(reportId, time, 'hpkeUnknownConfigId');
      continue;
    }
    let share: Uint8Array;
    try {
      const aad = msg.encodeInputShareAad(t.task.id, metadata, publicShare);
      share = msg.decodePlaintextInputShare(
        await t.opener.open(encryptedInputShare, inputShareInfo(3), aad),
      ).payload;
    } catch (e) {
      reject(reportId, time, e instanceof HpkeOpenError ? 'hpkeDecryptError' : 'invalidMessage');
      continue;
    }
    try {
      const inbound = msg.decodePingPong(p.payload);
      if (inbound.type !== 'initialize') {
        reject(reportId, time, 'invalidMessage');
        continue;
      }
      const mine = t.prep.prepInit(t.task.verifyKey, 1, reportId, publicShare, share);
      const leaderShare = t.prep.decodePrepShare(inbound.prepShare);
      const prepMsg = t.prep.prepSharesToPrep(leaderShare, mine.share);
      const out = t.prep.prepNext(mine.state, prepMsg);
      entries.push({
        resp: {
          reportId,
          result: 'continue',
          payload: msg.encodePingPong({ type: 'finish', prepMsg }),
        },
        time,
        out,
      });
    } catch (e) {
      if (!(e instanceof vdafs.VdafPrepError || e instanceof DapDecodeError)) throw e;
      reject(reportId, time, e instanceof DapDecodeError ? 'invalidMessage' : 'vdafPrepError');
    }
  }
  const response = await ctx.db.transaction().execute(async (tx) => {
    // Claim the job id first: a concurrent copy of this request waits here
    // until the first commits, then finds it taken and gives its answer.
    const claimed = await tx
      .insertInto('dap_aggregation_jobs')
      .values({
        task_id: idText,
        job_id: jobId,
        request_hash: requestHash,
        response: new Uint8Array(0),
      })
      .onConflict((oc) => oc.columns(['task_id', 'job_id']).doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) !== 1) return undefined;
    // Anti-replay: ids seen before (or repeated inside this job) are refused.
    const ids = entries.map((e) => e.resp.reportId);
    const fresh = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await tx
        .insertInto('dap_seen_reports')
        .values(ids.slice(i, i + 1000).map((report_id) => ({ task_id: idText, report_id })))
        .onConflict((oc) => oc.columns(['task_id', 'report_id']).doNothing())
        .returning('report_id')
        .execute();
      for (const r of rows) fresh.add(toBase64Url(new Uint8Array(r.report_id)));
    }
    for (const e of entries)
      if (!fresh.delete(toBase64Url(e.resp.reportId))) {
        e.resp = { reportId: e.resp.reportId, result: 'reject', error: 'reportReplayed' };
        delete e.out;
      }
    const deltas = new Map<number, BucketDelta>();
    for (const e of entries) {
      if (!e.out) continue;
      const bucket = bucketOf(t, e.time);
      let d = deltas.get(bucket);
      if (!d) {
        d = { bucket, sum: t.zero.slice(), count: 0, checksum: new Uint8Array(32) };
        deltas.set(bucket, d);
      }
      t.prep.field.addVec(d.sum, e.out);
      d.count++;
      xorInto(d.checksum, reportChecksum(e.resp.reportId));
    }
    const collected = await addToBuckets(
      tx,
      idText,
      deltas.values(),
      shareCodec(t).add,
      shareCodec(t).encode,
      shareCodec(t).decode,
    );
    for (const e of entries)
      if (e.out && collected.has(bucketOf(t, e.time)))
        e.resp = { reportId: e.resp.reportId, result: 'reject', error: 'batchCollected' };
    const reasons = new Map<string, number>();
    for (const { resp } of entries)
      if (resp.result === 'reject') reasons.set(resp.error, (reasons.get(resp.error) ?? 0) + 1);
    for (const [reason, n] of reasons) await countRejection(tx, idText, snake(reason), n);
    const bytes = msg.encodeAggregationJobResp({ prepareResps: entries.map((e) => e.resp) });
    await tx
      .updateTable('dap_aggregation_jobs')
      .set({ response: bytes })
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .execute();
    return bytes;
  });
  // A concurrent copy of this request answered first: give its answer.
  return response ?? (await storedJob(ctx, idText, jobId, requestHash))!;
}

async function storedJob(
  ctx: DapContext,
  idText: string,
  jobId: string,
  requestHash: Uint8Array,
): Promise<Uint8Array | undefined> {
  const row = await ctx.db
    .selectFrom('dap_aggregation_jobs')
    .select(['request_hash', 'response'])
    .where('task_id', '=', idText)
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  if (!row) return undefined;
  if (!bytesEqual(new Uint8Array(row.request_hash), requestHash))
    throw new DapRequestError(
      'invalidMessage',
      409,
      'aggregation job id already used for another request',
      idText,
    );
  return new Uint8Array(row.response);
}

/** draft-09 section 4.4.4.2: the Helper's aggregate share for a batch interval. */
export async function helperAggregateShare(
  ctx: DapContext,
  idText: string,
  token: string | undefined,
  body: Uint8Array,
): Promise<Uint8Array> {
  const t = await ctx.tasks.loadAs(idText, 'helper');
  requireToken(token, t.task.aggregatorToken, idText);
  let req: msg.AggregateShareReq;
  try {
    req = msg.decodeAggregateShareReq(body);
  } catch (e) {
    throw invalid((e as Error).message, idText);
  }
  if (req.aggParam.length !== 0)
    throw invalid('Prio3 takes an empty aggregation parameter', idText);
  checkInterval(t, req.batchInterval);
  const { start, duration } = req.batchInterval;
  const sum = await ctx.db.transaction().execute(async (tx) => {
    const agg = await readInterval(
      tx,
      idText,
      start,
      duration,
      t.zero,
      shareCodec(t).add,
      shareCodec(t).decode,
      true,
    );
    if (agg.count !== req.reportCount || !bytesEqual(agg.checksum, req.checksum))
      throw new DapRequestError(
        'batchMismatch',
        400,
        `the Helper holds ${agg.count} report(s) for this interval, the Leader ${req.reportCount}, or their checksums differ`,
        idText,
      );
    if (agg.count < t.task.minBatchSize)
      throw new DapRequestError(
        'invalidBatchSize',
        400,
        `batch has ${agg.count} report(s), fewer than the minimum ${t.task.minBatchSize}`,
        idText,
      );
    if (agg.maxQueryCount >= t.task.maxBatchQueryCount)
      throw new DapRequestError(
        'batchQueriedTooManyTimes',
        400,
        `batch already collected ${agg.maxQueryCount} time(s)`,
        idText,
      );
    await markCollected(
      tx,
      idText,
      start,
      duration,
      t.task.timePrecision,
      shareCodec(t).encode(t.zero),
    );
    return agg.sum;
  });
  return msg.encodeAggregateShare({
    encryptedShare: await sealShare(t, 3, req.batchInterval, sum),
  });
}
