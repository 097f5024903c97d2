/**
 * The Leader's report upload (draft-ietf-ppm-dap-09, section 4.3.2): decrypts
 * its own input share at once, refuses replays, stale or early reports,
 * unknown tasks and collected batches, counting each reason, and stores the
 * report as pending with the Helper's share still encrypted.
 */
import { HpkeOpenError } from '../../dap/hpke.js';
import * as msg from '../../dap/messages.js';
import { inputShareInfo } from '../../dap/version.js';
import { DapRequestError } from './errors.js';
import { bucketCollected, countRejection } from './store.js';
import { bucketOf, invalid, type DapContext, type LoadedTask } from './tasks.js';

/** Throws DapRequestError after counting the reason. */
export async function uploadReport(
  ctx: DapContext,
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
  if (await bucketCollected(db, idText, bucketOf(t, time)))
    return reject(
      'batch_collected',
      new DapRequestError(
        'reportRejected',
        400,
        'the report’s batch was already collected',
        idText,
      ),
    );
  const r = await db
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
