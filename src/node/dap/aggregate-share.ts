/**
 * What the Leader's collection and the Helper's aggregate share have in
 * common: the batch interval's checks, and an aggregate share sealed to the
 * Collector (draft-09 section 4.4.4.3), with the task's optional DP noise.
 */
import * as msg from '../../dap/messages.js';
import { hpkeSeal } from '../../dap/hpke.js';
import { planDiscreteLaplace, sampleDiscreteLaplaceClear } from '../../dap/noise.js';
import * as vdafs from '../../dap/vdaf.js';
import { aggregateShareInfo } from '../../dap/version.js';
import { DapRequestError } from './errors.js';
import type { LoadedTask } from './tasks.js';

/** The largest batch interval, in buckets, a collection may span. */
export const MAX_INTERVAL_BUCKETS = 100_000;

export function checkInterval(t: LoadedTask, i: msg.Interval): void {
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

function noisy(t: LoadedTask, sum: vdafs.FieldVec): vdafs.FieldVec {
  if (t.task.dpEpsilon === undefined) return sum;
  const plan = planDiscreteLaplace(t.task.dpEpsilon, vdafs.l1Sensitivity(t.task.vdaf));
  const F = t.prep.field;
  const z = sampleDiscreteLaplaceClear(plan, t.prep.outputLen);
  const out = sum.slice();
  for (let i = 0; i < z.length; i++) F.add(out, i, out, i, F.fromBigInt(BigInt(z[i]!)), 0);
  return out;
}

export async function sealShare(
  t: LoadedTask,
  role: 2 | 3,
  interval: msg.Interval,
  sum: vdafs.FieldVec,
): Promise<msg.HpkeCiphertext> {
  return hpkeSeal(
    t.task.collectorHpkeConfig,
    aggregateShareInfo(role),
    t.prep.field.encodeVec(noisy(t, sum)),
    msg.encodeAggregateShareAad(t.task.id, new Uint8Array(0), interval),
  );
}
