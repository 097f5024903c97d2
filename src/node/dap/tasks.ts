/**
 * The tasks an aggregator serves: provisioning, and each task loaded once per
 * process with what every request needs (the VDAF, the HPKE opener, a zero
 * aggregate), plus the small checks all roles share (the bearer token, the
 * time bucket of a report).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { toBase64Url } from '../../dap/codec.js';
import { hpkeOpener, type HpkeOpener } from '../../dap/hpke.js';
import { taskFromJson, taskToJson, type DapTask } from '../../dap/task.js';
import * as vdafs from '../../dap/vdaf.js';
import type { NodeDb } from '../store/schema.js';
import { DapRequestError } from './errors.js';

export interface LoadedTask {
  readonly task: DapTask;
  readonly idText: string;
  /** The aggregators' preparation of the task's VDAF. */
  readonly prep: vdafs.Prio3Prep;
  readonly opener: HpkeOpener;
  readonly zero: vdafs.FieldVec;
}

/** What the Leader, Helper and collection modules share: the database, the clock, the tasks. */
export interface DapContext {
  readonly db: NodeDb;
  readonly tasks: TaskRegistry;
  /** Seconds since the epoch (tests move the clock). */
  readonly now: () => number;
  /** For Leader-to-Helper requests (tests may wrap it). */
  readonly fetch: typeof fetch;
  /** Bound on each Leader-to-Helper request. */
  readonly requestTimeoutMs: number;
}

export const invalid = (m: string, taskId?: string): DapRequestError =>
  new DapRequestError('invalidMessage', 400, m, taskId);

function tokensEqual(given: string | undefined, want: string | undefined): boolean {
  if (given === undefined || want === undefined) return false;
  // Hash first so the comparison's time does not depend on the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/** Refuses a request whose DAP-Auth-Token is not the expected one (403). */
export function requireToken(
  given: string | undefined,
  want: string | undefined,
  idText: string,
): void {
  if (!tokensEqual(given, want))
    throw new DapRequestError('unauthorizedRequest', 403, 'bad or missing DAP-Auth-Token', idText);
}

/** A report time rounded down to the task's time precision. */
export function bucketOf(t: LoadedTask, time: number): number {
  return time - (time % t.task.timePrecision);
}

/** The task's aggregate shares as stored bytes, and their addition. */
export const shareCodec = (t: LoadedTask) => ({
  encode: (v: vdafs.FieldVec) => t.prep.field.encodeVec(v),
  decode: (b: Uint8Array) => t.prep.decodeVec(b, t.prep.outputLen, 'stored aggregate share'),
  add: (acc: vdafs.FieldVec, d: vdafs.FieldVec) => t.prep.field.addVec(acc, d),
});

export class TaskRegistry {
  private readonly cache = new Map<string, Promise<LoadedTask>>();

  constructor(private readonly db: NodeDb) {}

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

  async list(): Promise<{ id: string; role: string }[]> {
    const rows = await this.db.selectFrom('dap_tasks').select(['task_id', 'role']).execute();
    return rows.map((r) => ({ id: r.task_id, role: r.role }));
  }

  async remove(idText: string): Promise<boolean> {
    this.cache.delete(idText);
    const r = await this.db
      .deleteFrom('dap_tasks')
      .where('task_id', '=', idText)
      .executeTakeFirst();
    await this.db.deleteFrom('dap_rejections').where('task_id', '=', idText).execute();
    return Number(r.numDeletedRows) > 0;
  }

  load(idText: string | undefined): Promise<LoadedTask> {
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
        const prep = vdafs.makePrep(task.vdaf);
        return {
          task,
          idText,
          prep,
          opener: await hpkeOpener(task.hpke),
          zero: prep.field.vec(prep.outputLen),
        };
      })();
      this.cache.set(idText, p);
      // A miss is not cached: the task may be provisioned later.
      p.catch(() => this.cache.delete(idText));
    }
    return p;
  }

  async loadAs(idText: string, role: 'leader' | 'helper'): Promise<LoadedTask> {
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
}

/** hpkeDecryptError -> hpke_decrypt_error, the rejection counters' spelling. */
export function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
