/**
 * The DAP Leader and Helper (draft-ietf-ppm-dap-09, sections 4.3-4.4) over the
 * node's database. One instance serves every task provisioned in that
 * database, in the role each task names; the work is in small modules:
 * tasks.ts (provisioning, loading), leader-upload.ts, leader-jobs.ts (the
 * Leader's aggregation jobs), helper.ts, collection.ts and aggregate-share.ts.
 *
 * Both aggregators add output shares into per-bucket sums only after both
 * agreed the report is valid; an invalid report is counted by reason and
 * never aggregated. Security model (docs/DAP.md): two non-colluding
 * aggregators; clients may be malicious (the FLP proof bounds what one report
 * can contribute).
 */
import type { DapTask } from '../../dap/task.js';
import type { NodeDb } from '../store/schema.js';
import { createCollection, deleteCollection, pollCollection } from './collection.js';
import { helperAggregateShare, helperInit } from './helper.js';
import { ReportInserter, uploadReport } from './leader-upload.js';
import { rejectionCounts } from './store.js';
import { TaskRegistry, type DapContext } from './tasks.js';
import { DEFAULT_WORKER_OPTIONS, workOnce, type WorkDone, type WorkerOptions } from './worker.js';
import * as msg from '../../dap/messages.js';

export { MAX_INTERVAL_BUCKETS } from './aggregate-share.js';

export interface DapAggregatorOptions {
  readonly db: NodeDb;
  /** For Leader-to-Helper requests (tests may wrap it). */
  readonly fetch?: typeof fetch;
  /** Seconds since the epoch (tests move the clock). */
  readonly now?: () => number;
  /** Reports per aggregation job sent to the Helper. */
  readonly jobSize?: number;
  /**
   * Whether a collection poll runs the task's aggregation jobs in this
   * process (default true: one process, PGlite). False when worker processes
   * do it (`entente dap serve --workers N`, `entente dap worker`).
   */
  readonly inlineAggregation?: boolean;
  /** Leases of the aggregation jobs run in this process (docs/DAP.md). */
  readonly lease?: Partial<Omit<WorkerOptions, 'jobSize'>>;
  /** Bound on each Leader-to-Helper request. */
  readonly requestTimeoutMs?: number;
}

export class DapAggregator {
  private readonly ctx: DapContext;
  private readonly worker: WorkerOptions;
  private readonly inline: boolean;
  private readonly inserter: ReportInserter;
  private readonly driving = new Map<string, Promise<unknown>>();

  constructor(o: DapAggregatorOptions) {
    this.ctx = {
      db: o.db,
      tasks: new TaskRegistry(o.db),
      fetch: o.fetch ?? globalThis.fetch.bind(globalThis),
      now: o.now ?? (() => Math.floor(Date.now() / 1000)),
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    };
    this.worker = {
      ...DEFAULT_WORKER_OPTIONS,
      owner: `pid ${process.pid}`,
      ...o.lease,
      jobSize: o.jobSize ?? DEFAULT_WORKER_OPTIONS.jobSize,
    };
    this.inline = o.inlineAggregation ?? true;
    this.inserter = new ReportInserter(o.db);
  }

  /** Stores a task; refuses an id already provisioned. */
  provision(task: DapTask): Promise<void> {
    return this.ctx.tasks.provision(task);
  }

  listTasks(): Promise<{ id: string; role: string }[]> {
    return this.ctx.tasks.list();
  }

  removeTask(idText: string): Promise<boolean> {
    return this.ctx.tasks.remove(idText);
  }

  /** Rejected reports by reason (an unknown task's count is under task '*'). */
  rejections(idText: string): Promise<Record<string, number>> {
    return rejectionCounts(this.ctx.db, idText);
  }

  async hpkeConfigList(idText: string | undefined): Promise<Uint8Array> {
    const t = await this.ctx.tasks.load(idText);
    return msg.encodeHpkeConfigList([t.task.hpke.config]);
  }

  /** draft-09 section 4.3.2. Throws DapRequestError after counting the reason. */
  upload(idText: string, body: Uint8Array): Promise<void> {
    return uploadReport(this.ctx, this.inserter, idText, body);
  }

  /** The database, clock and tasks, for workers in this process. */
  get context(): DapContext {
    return this.ctx;
  }

  /**
   * Makes and runs the task's aggregation jobs in this process until none is
   * leasable; throws the first failed job's error (its lease released).
   */
  aggregatePending(idText: string): Promise<WorkDone> {
    return workOnce(this.ctx, this.worker, idText, true);
  }

  /**
   * One collection of a task at a time in this process, so two polls of one
   * job do not both ask the Helper. (Jobs need no such lock: leases keep
   * workers apart, in this process or others.)
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

  helperInit(
    idText: string,
    jobId: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<Uint8Array> {
    return helperInit(this.ctx, idText, jobId, token, body);
  }

  helperAggregateShare(
    idText: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<Uint8Array> {
    return helperAggregateShare(this.ctx, idText, token, body);
  }

  createCollection(
    idText: string,
    jobId: string,
    token: string | undefined,
    body: Uint8Array,
  ): Promise<void> {
    return createCollection(this.ctx, idText, jobId, token, body);
  }

  pollCollection(
    idText: string,
    jobId: string,
    token: string | undefined,
  ): Promise<Uint8Array | null> {
    return pollCollection(this.ctx, idText, jobId, token, {
      aggregatePending: (id) => (this.inline ? this.aggregatePending(id) : Promise.resolve()),
      serial: (id, f) => this.serial(id, f),
    });
  }

  deleteCollection(idText: string, jobId: string, token: string | undefined): Promise<void> {
    return deleteCollection(this.ctx, idText, jobId, token);
  }
}
