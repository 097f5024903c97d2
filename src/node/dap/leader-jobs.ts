/**
 * The Leader's aggregation jobs (draft-ietf-ppm-dap-09, section 4.4.1): takes
 * pending reports, prepares its half (Prio3's `initialize` ping-pong message),
 * sends one AggregationJobInitReq to the Helper, finishes each report with
 * the Helper's preparation message, and adds the output shares of the reports
 * both aggregators accepted to the per-bucket sums.
 */
import { randomBytes } from 'node:crypto';
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

/**
 * Runs aggregation jobs of up to `jobSize` reports until no report of the
 * task is pending. Returns how many reports were aggregated and how many rejected.
 */
export async function aggregatePending(
  ctx: DapContext,
  idText: string,
  jobSize: number,
): Promise<{ aggregated: number; rejected: number }> {
  const t = await ctx.tasks.loadAs(idText, 'leader');
  let aggregated = 0;
  let rejected = 0;
  for (;;) {
    const rows = await ctx.db
      .selectFrom('dap_reports')
      .selectAll()
      .where('task_id', '=', idText)
      .where('state', '=', 'pending')
      .orderBy('time')
      .limit(jobSize)
      .execute();
    if (rows.length === 0) return { aggregated, rejected };
    const r = await runJob(ctx, t, rows);
    aggregated += r.aggregated;
    rejected += r.rejected;
  }
}

async function markReports(
  ctx: DapContext,
  t: LoadedTask,
  ids: Uint8Array[],
  state: 'aggregated' | 'rejected',
  db: NodeDb = ctx.db,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000)
    await db
      .updateTable('dap_reports')
      .set({ state })
      .where('task_id', '=', t.idText)
      .where('report_id', 'in', ids.slice(i, i + 1000))
      .execute();
}

async function runJob(
  ctx: DapContext,
  t: LoadedTask,
  rows: {
    report_id: Uint8Array;
    time: number | string;
    public_share: Uint8Array;
    leader_input_share: Uint8Array;
    helper_encrypted_share: Uint8Array;
  }[],
): Promise<{ aggregated: number; rejected: number }> {
  const inits: msg.PrepareInit[] = [];
  const states: {
    id: Uint8Array;
    time: number;
    state: vdafs.PrepInit['state'];
    share: vdafs.PrepInit['share'];
  }[] = [];
  const bad: Uint8Array[] = [];
  for (const row of rows) {
    const id = new Uint8Array(row.report_id);
    const time = Number(row.time);
    try {
      const p = await vdafs.prepInit(
        t.vdaf,
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
          prepShare: vdafs.encodePrepShare(t.vdaf, p.share),
        }),
      });
    } catch (e) {
      if (!(e instanceof vdafs.VdafPrepError || e instanceof DapDecodeError)) throw e;
      bad.push(id);
    }
  }
  await countRejection(ctx.db, t.idText, 'vdaf_prep_error', bad.length);
  await markReports(ctx, t, bad, 'rejected');
  if (inits.length === 0) return { aggregated: 0, rejected: bad.length };

  const jobId = toBase64Url(new Uint8Array(randomBytes(msg.JOB_ID_LEN)));
  const respBytes = await helperRequest(
    ctx,
    t,
    'PUT',
    `tasks/${t.idText}/aggregation_jobs/${jobId}`,
    MEDIA_TYPES.aggregationJobInitReq,
    msg.encodeAggregationJobInitReq({ aggParam: new Uint8Array(0), prepareInits: inits }),
  );
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
    let out: bigint[];
    try {
      const pp = msg.decodePingPong(p.payload);
      if (pp.type !== 'finish') return fail(s.id, 'invalid_message');
      out = vdafs.prepFinish(t.vdaf, s.state, pp.prepMsg);
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
    vdafs.addInto(t.vdaf, d.sum, out);
    d.count++;
    xorInto(d.checksum, reportChecksum(s.id));
    done.push(s.id);
    doneTimes.push(s.time);
  });
  await ctx.db.transaction().execute(async (tx) => {
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
    await markReports(ctx, t, done, 'aggregated', tx);
    await markReports(ctx, t, failed, 'rejected', tx);
  });
  for (const [reason, n] of reasons) await countRejection(ctx.db, t.idText, reason, n);
  return { aggregated: done.length, rejected: bad.length + failed.length };
}
