/**
 * A DAP Leader's aggregation worker: makes jobs of the pending reports and
 * runs every job it can lease (leader-jobs.ts), in a loop (`entente dap
 * worker`, or the workers `entente dap serve --workers N` starts) or once, from
 * a collection poll when the server aggregates in its own process. Several
 * workers on one PostgreSQL database share the work without coordination
 * beyond the rows' locks and leases.
 */
import { DapRequestError } from './errors.js';
import {
  failJob,
  leaseJob,
  LeaseLostError,
  makeJobs,
  releaseLease,
  runLeasedJob,
  type Lease,
  type LeaseOptions,
} from './leader-jobs.js';
import { pendingReports } from './store.js';
import type { DapContext } from './tasks.js';

export interface WorkerOptions extends LeaseOptions {
  /** Reports per aggregation job. */
  readonly jobSize: number;
  /** A failed attempt's job is leasable again after retryMs x attempts. */
  readonly retryMs: number;
  /** Called after each lease, before the job runs (a test pauses a worker here). */
  readonly afterLease?: (l: Lease) => Promise<void>;
  /** Called once the Helper has answered a job, before it is finished (likewise). */
  readonly afterHelperAnswer?: (l: Lease) => Promise<void>;
  readonly log?: (line: string) => void;
}

export const DEFAULT_WORKER_OPTIONS = {
  jobSize: 200,
  leaseMs: 120_000,
  maxAttempts: 5,
  retryMs: 1_000,
} as const;

/**
 * When a job of fewer than jobSize reports is made: 'always' (a collection
 * poll wants everything aggregated now), or, for a worker loop, a map of each
 * task's pending count at the previous poll: a partial job is made only once
 * that count stopped growing, so that reports arriving steadily make full
 * jobs (one Helper round and one transaction per jobSize reports), not one
 * small job per poll.
 */
export type PartialJobs = 'always' | Map<string, number>;

async function partialNow(ctx: DapContext, idText: string, p: PartialJobs): Promise<boolean> {
  if (p === 'always') return true;
  const n = await pendingReports(ctx.db, idText);
  const before = p.get(idText);
  p.set(idText, n);
  return n > 0 && n === before;
}

export interface WorkDone {
  jobs: number;
  aggregated: number;
  rejected: number;
}

/**
 * Makes jobs and runs leasable ones until none is left (of one task, or of
 * every task the database leads). With `rethrow`, the first failed job's
 * error is thrown after its lease is released (a collection poll reports it);
 * otherwise it is logged and the job retried later.
 */
export async function workOnce(
  ctx: DapContext,
  o: WorkerOptions,
  idText?: string,
  rethrow = false,
  partial: PartialJobs = 'always',
): Promise<WorkDone> {
  const done: WorkDone = { jobs: 0, aggregated: 0, rejected: 0 };
  const tasks =
    idText !== undefined
      ? [idText]
      : (await ctx.tasks.list()).filter((t) => t.role === 'leader').map((t) => t.id);
  for (const id of tasks) await makeJobs(ctx, id, o.jobSize, await partialNow(ctx, id, partial));
  for (;;) {
    const l = await leaseJob(ctx, o, idText);
    if (!l) return done;
    if (l.attempts > o.maxAttempts) {
      const n = await failJob(ctx, l).catch((e: unknown) => {
        if (e instanceof LeaseLostError) return 0;
        throw e;
      });
      o.log?.(
        `dap: aggregation job ${l.jobId} failed after ${o.maxAttempts} attempts: ${n} report(s) rejected`,
      );
      done.rejected += n;
      continue;
    }
    try {
      await o.afterLease?.(l);
      const r = await runLeasedJob(ctx, l, o.afterHelperAnswer);
      done.jobs++;
      done.aggregated += r.aggregated;
      done.rejected += r.rejected;
    } catch (e) {
      if (e instanceof LeaseLostError) {
        o.log?.(`dap: ${e.message}`);
        continue;
      }
      await releaseLease(ctx, l, o.retryMs * l.attempts);
      if (rethrow) throw e;
      const what = e instanceof DapRequestError ? e.message : ((e as Error).stack ?? String(e));
      o.log?.(`dap: aggregation job ${l.jobId} (attempt ${l.attempts}) failed: ${what}`);
    }
  }
}

/** Runs workOnce until the signal aborts, sleeping pollMs whenever there was nothing to do. */
export async function runWorker(
  ctx: DapContext,
  o: WorkerOptions & { readonly pollMs: number },
  signal: AbortSignal,
): Promise<void> {
  const seen = new Map<string, number>();
  while (!signal.aborted) {
    let did = 0;
    try {
      did = (await workOnce(ctx, o, undefined, false, seen)).jobs;
    } catch (e) {
      // The database went away or similar: log, wait, try again.
      o.log?.(`dap: worker: ${(e as Error).message}`);
    }
    if (did === 0 && !signal.aborted)
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, o.pollMs);
        signal.addEventListener('abort', wake);
      });
  }
}
