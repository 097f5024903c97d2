/**
 * The Leader's report upload (draft-ietf-ppm-dap-09, section 4.3.2): decrypts
 * its own input share at once, refuses replays, stale or early reports,
 * unknown tasks and collected batches, counting each reason, and stores the
 * report, pending (in no job yet), with the Helper's share still encrypted. Concurrent
 * uploads are stored together (ReportInserter): one multi-row INSERT per
 * group, each upload acknowledged only once its row is committed.
 */
import { toBase64Url } from '../../dap/codec.js';
import { HpkeOpenError } from '../../dap/hpke.js';
import * as msg from '../../dap/messages.js';
import { inputShareInfo } from '../../dap/version.js';
import type { NodeDb } from '../store/schema.js';
import { DapRequestError } from './errors.js';
import { bucketCollected, countRejection } from './store.js';
import { bucketOf, invalid, type DapContext, type LoadedTask } from './tasks.js';

/** Throws DapRequestError after counting the reason. */
export async function uploadReport(
  ctx: DapContext,
  inserter: ReportInserter,
  idText: string,
  body: Uint8Array,
): Promise<void> {
  const { db } = ctx;
  let t: LoadedTask;
  try {
    t = await ctx.tasks.loadAs(idText, 'leader');
  } catch (e) {
    if (e instanceof DapRequestError && e.problem === 'unrecognizedTask')
      await countRejection(db, '*', 'unknown_task');
    throw e;
  }
  const reject = async (reason: string, e: DapRequestError): Promise<never> => {
    await countRejection(db, idText, reason);
    throw e;
  };
  let report: msg.Report;
  try {
    report = msg.decodeReport(body);
  } catch (e) {
    return reject('invalid_message', invalid((e as Error).message, idText));
  }
  const { time } = report.metadata;
  const now = ctx.now();
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
  const stored = await inserter.insert({
    task_id: idText,
    report_id: report.metadata.reportId,
    time,
    bucket: bucketOf(t, time),
    public_share: report.publicShare,
    leader_input_share: plain.payload,
    helper_encrypted_share: msg.encodeHpkeCiphertext(report.helperShare),
  });
  if (stored === 'collected')
    return reject(
      'batch_collected',
      new DapRequestError(
        'reportRejected',
        400,
        'the report’s batch was already collected',
        idText,
      ),
    );
  if (stored === 'replayed')
    return reject(
      'report_replayed',
      new DapRequestError('reportRejected', 400, 'report id already uploaded', idText),
    );
}

interface PendingRow {
  readonly task_id: string;
  readonly report_id: Uint8Array;
  readonly time: number;
  readonly bucket: number;
  readonly public_share: Uint8Array;
  readonly leader_input_share: Uint8Array;
  readonly helper_encrypted_share: Uint8Array;
}

type Stored = 'stored' | 'replayed' | 'collected';

/**
 * Group commit of uploads: rows that arrive while a group is being written
 * wait and go in the next group, so under load each INSERT carries many
 * reports (one statement, one commit) instead of one.
 */
export class ReportInserter {
  private queue: { row: PendingRow; done: (s: Stored) => void; fail: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly db: NodeDb,
    /** Rows per INSERT at most (PostgreSQL binds at most 65,535 parameters; 7 per row). */
    private readonly maxRows = 1000,
  ) {}

  insert(row: PendingRow): Promise<Stored> {
    return new Promise<Stored>((done, fail) => {
      this.queue.push({ row, done, fail });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxRows);
        try {
          const out = await this.write(group.map((g) => g.row));
          group.forEach((g, i) => g.done(out[i]!));
        } catch (e) {
          for (const g of group) g.fail(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(rows: PendingRow[]): Promise<Stored[]> {
    const collected = new Set<string>();
    const seenBuckets = new Set<string>();
    for (const r of rows) {
      const key = `${r.task_id} ${r.bucket}`;
      if (seenBuckets.has(key)) continue;
      seenBuckets.add(key);
      if (await bucketCollected(this.db, r.task_id, r.bucket)) collected.add(key);
    }
    const out: Stored[] = rows.map((r) =>
      collected.has(`${r.task_id} ${r.bucket}`) ? 'collected' : 'replayed',
    );
    const fresh = rows.filter((_, i) => out[i] !== 'collected');
    if (fresh.length === 0) return out;
    const inserted = await this.db
      .insertInto('dap_reports')
      .values(
        fresh.map((r) => ({
          task_id: r.task_id,
          report_id: r.report_id,
          time: r.time,
          public_share: r.public_share,
          leader_input_share: r.leader_input_share,
          helper_encrypted_share: r.helper_encrypted_share,
        })),
      )
      .onConflict((oc) => oc.columns(['task_id', 'report_id']).doNothing())
      .returning(['task_id', 'report_id'])
      .execute();
    // The first of the group's rows with an inserted (task, id) is the stored one;
    // any other (an earlier upload, or a copy in this group) is a replay.
    const ok = new Set(
      inserted.map((r) => `${r.task_id} ${toBase64Url(new Uint8Array(r.report_id))}`),
    );
    rows.forEach((r, i) => {
      if (out[i] === 'collected') return;
      const key = `${r.task_id} ${toBase64Url(r.report_id)}`;
      if (ok.delete(key)) out[i] = 'stored';
    });
    return out;
  }
}
