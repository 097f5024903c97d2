/**
 * The DAP Leader and Helper (draft-ietf-ppm-dap-09, sections 4.3-4.4) over the
 * node's database. One instance serves every task provisioned in that
 * database, in the role each task names.
 *
 * Leader: accepts uploads (decrypts its input share, refuses replays, stale
 * or early reports and unknown tasks, counting each reason), drives
 * aggregation jobs to the Helper (one round: Prio3 has one preparation
 * round, so the Leader's `initialize` and the Helper's `finish` ping-pong
 * messages complete it), and answers the Collector's collection jobs.
 * Helper: prepares each job's reports, answers with the preparation message,
 * and releases its aggregate share once per allowed query.
 *
 * Both aggregators add output shares into per-bucket sums only after both
 * agreed the report is valid; an invalid report is counted by reason and
 * never aggregated. Security model (docs/DAP.md): two non-colluding
 * aggregators, either of which may be malicious toward privacy of the other's
 * share only by colluding; clients may be malicious (the FLP proof bounds what
 * one report can contribute).
 */
import { timingSafeEqual, createHash, randomBytes } from 'node:crypto';
import { bytesEqual, DapDecodeError, fromBase64Url, toBase64Url } from '../../dap/codec.js';
import { hpkeOpener, hpkeSeal, HpkeOpenError, type HpkeOpener } from '../../dap/hpke.js';
import * as msg from '../../dap/messages.js';
import { planDiscreteLaplace, sampleDiscreteLaplaceClear } from '../../dap/noise.js';
import { taskFromJson, taskToJson, type DapTask } from '../../dap/task.js';
import * as vdafs from '../../dap/vdaf.js';
import { aggregateShareInfo, AUTH_HEADER, inputShareInfo, MEDIA_TYPES } from '../../dap/version.js';
import type { NodeDb } from '../store/schema.js';
import { DapRequestError } from './errors.js';
import {
  addToBuckets,
  bucketCollected,
  countRejection,
  markCollected,
  readInterval,
  rejectionCounts,
  reportChecksum,
  xorInto,
  type BucketDelta,
} from './store.js';

/** The Helper did not answer (network, timeout): retried on the next poll. */
class HelperUnreachable extends DapRequestError {}

/** The largest batch interval, in buckets, a collection may span. */
export const MAX_INTERVAL_BUCKETS = 100_000;

export interface DapAggregatorOptions {
  readonly db: NodeDb;
  /** For Leader-to-Helper requests (tests may wrap it). */
  readonly fetch?: typeof fetch;
  /** Seconds since the epoch (tests move the clock). */
  readonly now?: () => number;
  /** Reports per aggregation job sent to the Helper. */
  readonly jobSize?: number;
  /** Bound on each Leader-to-Helper request. */
  readonly requestTimeoutMs?: number;
}

interface Loaded {
  readonly task: DapTask;
  readonly idText: string;
  readonly vdaf: vdafs.AnyPrio3;
  readonly opener: HpkeOpener;
  readonly zero: bigint[];
}

function tokensEqual(given: string | undefined, want: string | undefined): boolean {
  if (given === undefined || want === undefined) return false;
  // Hash first so the comparison's time does not depend on the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

const invalid = (m: string, taskId?: string): DapRequestError =>
  new DapRequestError('invalidMessage', 400, m, taskId);

export class DapAggregator {
  private readonly db: NodeDb;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly jobSize: number;
  private readonly timeoutMs: number;
  private readonly cache = new Map<string, Promise<Loaded>>();
  private readonly driving = new Map<string, Promise<unknown>>();

  constructor(o: DapAggregatorOptions) {
    this.db = o.db;
    this.fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
    this.jobSize = o.jobSize ?? 200;
    this.timeoutMs = o.requestTimeoutMs ?? 30_000;
  }

  /** Stores a task; refuses an id already provisioned. */
  async provision(task: DapTask): Promise<void> {
    const id = toBase64Url(task.id);
    const r = await this.db
      .insertInto('dap_tasks')
      .values({
        task_id: id,
        role: task.role,
        config_json: taskToJson(task),
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1)
      throw new DapRequestError('invalidMessage', 409, `task ${id} is already provisioned`, id);
  }

  async listTasks(): Promise<{ id: string; role: string }[]> {
    const rows = await this.db.selectFrom('dap_tasks').select(['task_id', 'role']).execute();
    return rows.map((r) => ({ id: r.task_id, role: r.role }));
  }

  async removeTask(idText: string): Promise<boolean> {
    this.cache.delete(idText);
    const r = await this.db
      .deleteFrom('dap_tasks')
      .where('task_id', '=', idText)
      .executeTakeFirst();
    await this.db.deleteFrom('dap_rejections').where('task_id', '=', idText).execute();
    return Number(r.numDeletedRows) > 0;
  }

  /** Rejected reports by reason (an unknown task's count is under task '*'). */
  rejections(idText: string): Promise<Record<string, number>> {
    return rejectionCounts(this.db, idText);
  }

  private load(idText: string | undefined): Promise<Loaded> {
    if (idText === undefined) throw new DapRequestError('missingTaskID', 400, 'no task id');
    let p = this.cache.get(idText);
    if (!p) {
      p = (async () => {
        const row = await this.db
          .selectFrom('dap_tasks')
          .select('config_json')
          .where('task_id', '=', idText)
          .executeTakeFirst();
        if (!row) throw new DapRequestError('unrecognizedTask', 404, 'unrecognized task', idText);
        const task = taskFromJson(row.config_json);
        const vdaf = vdafs.makeVdaf(task.vdaf);
        return {
          task,
          idText,
          vdaf,
          opener: await hpkeOpener(task.hpke),
          zero: new Array<bigint>(vdafs.outputLen(vdaf)).fill(0n),
        };
      })();
      this.cache.set(idText, p);
      // A miss is not cached: the task may be provisioned later.
      p.catch(() => this.cache.delete(idText));
    }
    return p;
  }

  private async loadAs(idText: string, role: 'leader' | 'helper'): Promise<Loaded> {
    const t = await this.load(idText);
    if (t.task.role !== role)
      throw new DapRequestError(
        'unrecognizedTask',
        404,
        `this aggregator is not the ${role} of the task`,
        idText,
      );
    return t;
  }

  private bucketOf(t: Loaded, time: number): number {
    return time - (time % t.task.timePrecision);
  }

  private encodeShare = (t: Loaded) => (v: readonly bigint[]) => vdafs.encodeFieldVec(t.vdaf, v);
  private decodeShare = (t: Loaded) => (b: Uint8Array) =>
    vdafs.decodeFieldVec(t.vdaf, b, t.zero.length, 'stored aggregate share');
  private add = (t: Loaded) => (acc: bigint[], d: readonly bigint[]) =>
    vdafs.addInto(t.vdaf, acc, d);

  // ---------------------------------------------------------------- HPKE config

  async hpkeConfigList(idText: string | undefined): Promise<Uint8Array> {
    const t = await this.load(idText);
    return msg.encodeHpkeConfigList([t.task.hpke.config]);
  }

  // ---------------------------------------------------------------- upload (Leader)

  /** draft-09 section 4.3.2. Throws DapRequestError after counting the reason. */
  async upload(idText: string, body: Uint8Array): Promise<void> {
    let t: Loaded;
    try {
      t = await this.loadAs(idText, 'leader');
    } catch (e) {
      if (e instanceof DapRequestError && e.problem === 'unrecognizedTask')
        await countRejection(this.db, '*', 'unknown_task');
      throw e;
    }
    const reject = async (reason: string, e: DapRequestError): Promise<never> => {
      await countRejection(this.db, idText, reason);
      throw e;
    };
    let report: msg.Report;
    try {
      report = msg.decodeReport(body);
    } catch (e) {
      return reject('invalid_message', invalid((e as Error).message, idText));
    }
    const { time } = report.metadata;
    const now = this.now();
    if (time > now + t.task.clockSkew)
      return reject(
        'report_too_early',
        new DapRequestError('reportTooEarly', 400, 'report time is in the future', idText),
      );
    if (t.task.reportMaxAge > 0 && time < now - t.task.reportMaxAge)
      return reject(
        'report_too_old',
        new DapRequestError('reportRejected', 400, 'report is older than the task accepts', idText),
      );
    if (report.leaderShare.configId !== t.task.hpke.config.id)
      return reject(
        'hpke_unknown_config_id',
        new DapRequestError('outdatedConfig', 400, 'unknown HPKE config id', idText),
      );
    const aad = msg.encodeInputShareAad(t.task.id, report.metadata, report.publicShare);
    let plain: msg.PlaintextInputShare;
    try {
      plain = msg.decodePlaintextInputShare(
        await t.opener.open(report.leaderShare, inputShareInfo(2), aad),
      );
    } catch (e) {
      if (e instanceof HpkeOpenError)
        return reject(
          'hpke_decrypt_error',
          new DapRequestError('reportRejected', 400, 'input share does not decrypt', idText),
        );
      return reject('invalid_message', invalid((e as Error).message, idText));
    }
    if (await bucketCollected(this.db, idText, this.bucketOf(t, time)))
      return reject(
        'batch_collected',
        new DapRequestError(
          'reportRejected',
          400,
          'the report’s batch was already collected',
          idText,
        ),
      );
    const r = await this.db
      .insertInto('dap_reports')
      .values({
        task_id: idText,
        report_id: report.metadata.reportId,
        time,
        public_share: report.publicShare,
        leader_input_share: plain.payload,
        helper_encrypted_share: msg.encodeHpkeCiphertext(report.helperShare),
        state: 'pending',
      })
      .onConflict((oc) => oc.columns(['task_id', 'report_id']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1)
      return reject(
        'report_replayed',
        new DapRequestError('reportRejected', 400, 'report id already uploaded', idText),
      );
  }

  // ---------------------------------------------------------------- aggregation (Leader)

  private async helperRequest(
    t: Loaded,
    method: 'PUT' | 'POST',
    path: string,
    type: string,
    body: Uint8Array,
  ): Promise<Uint8Array> {
    const url = new URL(path, t.task.helperUrl).toString();
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers: { 'content-type': type, [AUTH_HEADER]: t.task.aggregatorToken },
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new HelperUnreachable(
        'invalidMessage',
        502,
        `helper ${t.task.helperUrl} unreachable: ${(e as Error).message}`,
        t.idText,
      );
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) {
      let detail = '';
      try {
        const p = JSON.parse(new TextDecoder().decode(bytes)) as { type?: string; title?: string };
        detail = `${p.type ?? ''} ${p.title ?? ''}`.trim();
      } catch {
        detail = '(no problem document)';
      }
      throw new DapRequestError(
        'invalidMessage',
        502,
        `helper answered ${res.status}: ${detail}`,
        t.idText,
      );
    }
    return bytes;
  }

  /**
   * Runs aggregation jobs until no report of the task is pending. Returns how
   * many reports were aggregated and how many rejected.
   */
  async aggregatePending(idText: string): Promise<{ aggregated: number; rejected: number }> {
    return this.serial(idText, () => this.drive(idText));
  }

  /**
   * One driver per task in this process: two overlapping polls must not send
   * the same pending reports twice, and a collection must see its buckets
   * unchanged between asking the Helper and releasing (leasing across
   * processes is not implemented).
   */
  private serial<T>(idText: string, f: () => Promise<T>): Promise<T> {
    const prev = this.driving.get(idText) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(f);
    const tail = run.catch(() => undefined);
    this.driving.set(idText, tail);
    void tail.then(() => {
      if (this.driving.get(idText) === tail) this.driving.delete(idText);
    });
    return run;
  }

  private async drive(idText: string): Promise<{ aggregated: number; rejected: number }> {
    const t = await this.loadAs(idText, 'leader');
    let aggregated = 0;
    let rejected = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('dap_reports')
        .selectAll()
        .where('task_id', '=', idText)
        .where('state', '=', 'pending')
        .orderBy('time')
        .limit(this.jobSize)
        .execute();
      if (rows.length === 0) return { aggregated, rejected };
      const r = await this.runJob(t, rows);
      aggregated += r.aggregated;
      rejected += r.rejected;
    }
  }

  private async markReports(
    t: Loaded,
    ids: Uint8Array[],
    state: 'aggregated' | 'rejected',
    db: NodeDb = this.db,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000)
      await db
        .updateTable('dap_reports')
        .set({ state })
        .where('task_id', '=', t.idText)
        .where('report_id', 'in', ids.slice(i, i + 1000))
        .execute();
  }

  private async runJob(
    t: Loaded,
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
            encryptedInputShare: msg.decodeHpkeCiphertext(
              new Uint8Array(row.helper_encrypted_share),
            ),
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
    await countRejection(this.db, t.idText, 'vdaf_prep_error', bad.length);
    await this.markReports(t, bad, 'rejected');
    if (inits.length === 0) return { aggregated: 0, rejected: bad.length };

    const jobId = toBase64Url(new Uint8Array(randomBytes(msg.JOB_ID_LEN)));
    const respBytes = await this.helperRequest(
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
      const bucket = this.bucketOf(t, s.time);
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
    await this.db.transaction().execute(async (tx) => {
      const collected = await addToBuckets(
        tx,
        t.idText,
        deltas.values(),
        this.add(t),
        this.encodeShare(t),
        this.decodeShare(t),
      );
      // Late reports for a batch collected meanwhile: never aggregated.
      for (let i = done.length - 1; i >= 0; i--)
        if (collected.has(this.bucketOf(t, doneTimes[i]!))) {
          fail(done[i]!, 'batch_collected');
          done.splice(i, 1);
          doneTimes.splice(i, 1);
        }
      await this.markReports(t, done, 'aggregated', tx);
      await this.markReports(t, failed, 'rejected', tx);
    });
    for (const [reason, n] of reasons) await countRejection(this.db, t.idText, reason, n);
    return { aggregated: done.length, rejected: bad.length + failed.length };
  }

  // ---------------------------------------------------------------- aggregation (Helper)

  /** draft-09 section 4.4.1.3: the Helper's side of an aggregation job's single round. */
  async helperInit(
    idText: string,
    jobId: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<Uint8Array> {
    const t = await this.loadAs(idText, 'helper');
    if (!tokensEqual(token, t.task.aggregatorToken))
      throw new DapRequestError(
        'unauthorizedRequest',
        403,
        'bad or missing DAP-Auth-Token',
        idText,
      );
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
    const done = await this.storedJob(idText, jobId, requestHash);
    if (done) return done;

    // Anti-replay first: ids already seen (or repeated inside this job) are refused.
    const ids = req.prepareInits.map((p) => p.reportShare.metadata.reportId);
    const fresh = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db
        .insertInto('dap_seen_reports')
        .values(ids.slice(i, i + 1000).map((report_id) => ({ task_id: idText, report_id })))
        .onConflict((oc) => oc.columns(['task_id', 'report_id']).doNothing())
        .returning('report_id')
        .execute();
      for (const r of rows) fresh.add(toBase64Url(new Uint8Array(r.report_id)));
    }
    const now = this.now();
    const resps: msg.PrepareResp[] = [];
    const outs: { id: Uint8Array; time: number; out: bigint[] }[] = [];
    const reasons = new Map<string, number>();
    const reject = (reportId: Uint8Array, error: msg.PrepareErrorName): void => {
      resps.push({ reportId, result: 'reject', error });
      reasons.set(error, (reasons.get(error) ?? 0) + 1);
    };
    const collectedCache = new Map<number, boolean>();
    for (const p of req.prepareInits) {
      const { metadata, publicShare, encryptedInputShare } = p.reportShare;
      const key = toBase64Url(metadata.reportId);
      if (!fresh.delete(key)) {
        reject(metadata.reportId, 'reportReplayed');
        continue;
      }
      if (metadata.time > now + t.task.clockSkew) {
        reject(metadata.reportId, 'reportTooEarly');
        continue;
      }
      const bucket = this.bucketOf(t, metadata.time);
      if (!collectedCache.has(bucket))
        collectedCache.set(bucket, await bucketCollected(this.db, idText, bucket));
      if (collectedCache.get(bucket)) {
        reject(metadata.reportId, 'batchCollected');
        continue;
      }
      if (encryptedInputShare.configId !== t.task.hpke.config.id) {
        reject(metadata.reportId, 'hpkeUnknownConfigId');
        continue;
      }
      let share: Uint8Array;
      try {
        const aad = msg.encodeInputShareAad(t.task.id, metadata, publicShare);
        share = msg.decodePlaintextInputShare(
          await t.opener.open(encryptedInputShare, inputShareInfo(3), aad),
        ).payload;
      } catch (e) {
        reject(
          metadata.reportId,
          e instanceof HpkeOpenError ? 'hpkeDecryptError' : 'invalidMessage',
        );
        continue;
      }
      try {
        const inbound = msg.decodePingPong(p.payload);
        if (inbound.type !== 'initialize') {
          reject(metadata.reportId, 'invalidMessage');
          continue;
        }
        const mine = await vdafs.prepInit(
          t.vdaf,
          t.task.verifyKey,
          1,
          metadata.reportId,
          publicShare,
          share,
        );
        const leaderShare = vdafs.decodePrepShare(t.vdaf, inbound.prepShare);
        const prepMsg = await vdafs.prepSharesToPrep(t.vdaf, leaderShare, mine.share);
        const out = vdafs.prepFinish(t.vdaf, mine.state, prepMsg);
        outs.push({ id: metadata.reportId, time: metadata.time, out });
        resps.push({
          reportId: metadata.reportId,
          result: 'continue',
          payload: msg.encodePingPong({ type: 'finish', prepMsg }),
        });
      } catch (e) {
        if (!(e instanceof vdafs.VdafPrepError || e instanceof DapDecodeError)) throw e;
        reject(metadata.reportId, e instanceof DapDecodeError ? 'invalidMessage' : 'vdafPrepError');
      }
    }
    const deltas = new Map<number, BucketDelta>();
    for (const o of outs) {
      const bucket = this.bucketOf(t, o.time);
      let d = deltas.get(bucket);
      if (!d) {
        d = { bucket, sum: t.zero.slice(), count: 0, checksum: new Uint8Array(32) };
        deltas.set(bucket, d);
      }
      vdafs.addInto(t.vdaf, d.sum, o.out);
      d.count++;
      xorInto(d.checksum, reportChecksum(o.id));
    }
    const collected = await this.db
      .transaction()
      .execute((tx) =>
        addToBuckets(
          tx,
          idText,
          deltas.values(),
          this.add(t),
          this.encodeShare(t),
          this.decodeShare(t),
        ),
      );
    if (collected.size > 0)
      for (let i = 0; i < resps.length; i++) {
        const o = outs.find((x) => bytesEqual(x.id, resps[i]!.reportId));
        if (o && collected.has(this.bucketOf(t, o.time))) {
          resps[i] = { reportId: o.id, result: 'reject', error: 'batchCollected' };
          reasons.set('batchCollected', (reasons.get('batchCollected') ?? 0) + 1);
        }
      }
    const response = msg.encodeAggregationJobResp({ prepareResps: resps });
    const stored = await this.db
      .insertInto('dap_aggregation_jobs')
      .values({ task_id: idText, job_id: jobId, request_hash: requestHash, response })
      .onConflict((oc) => oc.columns(['task_id', 'job_id']).doNothing())
      .executeTakeFirst();
    // A concurrent copy of this request answered first: give its answer.
    if (Number(stored.numInsertedOrUpdatedRows ?? 0) !== 1)
      return (await this.storedJob(idText, jobId, requestHash))!;
    for (const [reason, n] of reasons) await countRejection(this.db, idText, snake(reason), n);
    return response;
  }

  private async storedJob(
    idText: string,
    jobId: string,
    requestHash: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const row = await this.db
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

  // ---------------------------------------------------------------- collection

  private checkInterval(t: Loaded, i: msg.Interval): void {
    const p = t.task.timePrecision;
    if (i.start % p !== 0 || i.duration % p !== 0 || i.duration < p)
      throw new DapRequestError(
        'batchInvalid',
        400,
        `batch interval must be whole multiples of the time precision (${p} s)`,
        t.idText,
      );
    if (i.duration / p > MAX_INTERVAL_BUCKETS)
      throw new DapRequestError(
        'batchInvalid',
        400,
        `batch interval spans more than ${MAX_INTERVAL_BUCKETS} time buckets`,
        t.idText,
      );
  }

  private noisy(t: Loaded, sum: bigint[]): bigint[] {
    if (t.task.dpEpsilon === undefined) return sum;
    const plan = planDiscreteLaplace(t.task.dpEpsilon, vdafs.l1Sensitivity(t.task.vdaf));
    const p = t.vdaf.flp.field.modulus;
    const z = sampleDiscreteLaplaceClear(plan, sum.length);
    return sum.map((x, i) => (((x + BigInt(z[i]!)) % p) + p) % p);
  }

  private async sealShare(
    t: Loaded,
    role: 2 | 3,
    interval: msg.Interval,
    sum: bigint[],
  ): Promise<msg.HpkeCiphertext> {
    return hpkeSeal(
      t.task.collectorHpkeConfig,
      aggregateShareInfo(role),
      vdafs.encodeFieldVec(t.vdaf, this.noisy(t, sum)),
      msg.encodeAggregateShareAad(t.task.id, new Uint8Array(0), interval),
    );
  }

  /** draft-09 section 4.4.4.2: the Helper's aggregate share for a batch interval. */
  async helperAggregateShare(
    idText: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<Uint8Array> {
    const t = await this.loadAs(idText, 'helper');
    if (!tokensEqual(token, t.task.aggregatorToken))
      throw new DapRequestError(
        'unauthorizedRequest',
        403,
        'bad or missing DAP-Auth-Token',
        idText,
      );
    let req: msg.AggregateShareReq;
    try {
      req = msg.decodeAggregateShareReq(body);
    } catch (e) {
      throw invalid((e as Error).message, idText);
    }
    if (req.aggParam.length !== 0)
      throw invalid('Prio3 takes an empty aggregation parameter', idText);
    this.checkInterval(t, req.batchInterval);
    const { start, duration } = req.batchInterval;
    const sum = await this.db.transaction().execute(async (tx) => {
      const agg = await readInterval(
        tx,
        idText,
        start,
        duration,
        t.zero,
        this.add(t),
        this.decodeShare(t),
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
        this.encodeShare(t)(t.zero),
      );
      return agg.sum;
    });
    return msg.encodeAggregateShare({
      encryptedShare: await this.sealShare(t, 3, req.batchInterval, sum),
    });
  }

  /** draft-09 section 4.4.2: a collection job is created (PUT). */
  async createCollection(
    idText: string,
    jobId: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<void> {
    const t = await this.loadAs(idText, 'leader');
    if (!tokensEqual(token, t.task.collectorToken))
      throw new DapRequestError(
        'unauthorizedRequest',
        403,
        'bad or missing DAP-Auth-Token',
        idText,
      );
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
    this.checkInterval(t, req.query);
    const existing = await this.db
      .selectFrom('dap_collection_jobs')
      .selectAll()
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
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
    await this.db
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
  async pollCollection(
    idText: string,
    jobId: string,
    token: string | undefined,
  ): Promise<Uint8Array | null> {
    const t = await this.loadAs(idText, 'leader');
    if (!tokensEqual(token, t.task.collectorToken))
      throw new DapRequestError(
        'unauthorizedRequest',
        403,
        'bad or missing DAP-Auth-Token',
        idText,
      );
    const job = await this.db
      .selectFrom('dap_collection_jobs')
      .selectAll()
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
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
    return this.serial(idText, () => this.finishCollection(t, jobId, interval));
  }

  private async finishCollection(
    t: Loaded,
    jobId: string,
    interval: msg.Interval,
  ): Promise<Uint8Array | null> {
    const idText = t.idText;
    // Another poll of the same job may have finished it while this one waited.
    const again = await this.db
      .selectFrom('dap_collection_jobs')
      .select(['state', 'result', 'error'])
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    if (again?.state === 'finished') return new Uint8Array(again.result!);
    if (again?.state !== 'pending')
      throw new DapRequestError(
        'batchInvalid',
        400,
        `collection job failed: ${again?.error ?? 'deleted'}`,
        idText,
      );
    await this.drive(idText);
    const agg = await readInterval(
      this.db,
      idText,
      interval.start,
      interval.duration,
      t.zero,
      this.add(t),
      this.decodeShare(t),
      false,
    );
    if (agg.count < t.task.minBatchSize) return null;
    const fail = async (e: DapRequestError): Promise<never> => {
      await this.db
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
    const helperBytes = await this.helperRequest(
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
      e instanceof DapRequestError && !(e instanceof HelperUnreachable)
        ? fail(e)
        : Promise.reject(e),
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
    const result = await this.db.transaction().execute(async (tx) => {
      // Re-read under lock: the sums released are the ones the Helper was asked for.
      const locked = await readInterval(
        tx,
        idText,
        interval.start,
        interval.duration,
        t.zero,
        this.add(t),
        this.decodeShare(t),
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
        this.encodeShare(t)(t.zero),
      );
      const collection = msg.encodeCollection({
        reportCount: agg.count,
        interval,
        leaderShare: await this.sealShare(t, 2, interval, locked.sum),
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

  async deleteCollection(idText: string, jobId: string, token: string | undefined): Promise<void> {
    const t = await this.loadAs(idText, 'leader');
    if (!tokensEqual(token, t.task.collectorToken))
      throw new DapRequestError(
        'unauthorizedRequest',
        403,
        'bad or missing DAP-Auth-Token',
        idText,
      );
    await this.db
      .deleteFrom('dap_collection_jobs')
      .where('task_id', '=', idText)
      .where('job_id', '=', jobId)
      .execute();
  }
}

/** hpkeDecryptError -> hpke_decrypt_error, the counters' spelling. */
function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
