/**
 * DAP clients on worker threads (node:worker_threads), for the survey demos
 * and the benchmark: making a Prio3Histogram(100) report takes the
 * @divviup/dap client several milliseconds of BigInt field arithmetic and
 * HPKE, so simulated respondents made on the thread that also runs the Leader
 * and Helper would be what limits a run. Each thread (client-thread.ts) keeps
 * its own client Task per task id; a request's measurements are split evenly
 * over the threads and the reports come back in the measurements' order.
 * Node-only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { VdafSpec } from '../../dap/vdaf.js';

/** What `new Task(...)` of @divviup/dap is given: plain data, cloned to each thread. */
export type ClientTaskSpec = VdafSpec & {
  readonly id: string;
  readonly leader: string;
  readonly helper: string;
  readonly timePrecisionSeconds: number;
};

/** @internal A request to one thread. */
export interface ClientRequest {
  readonly id: number;
  readonly mode: 'generate' | 'send';
  readonly task: ClientTaskSpec;
  readonly measurements: readonly unknown[];
  readonly timestampMs: number;
  /** Uploads in flight per thread ('send'). */
  readonly concurrency: number;
  /** A progress message after every this many uploads ('send'). */
  readonly progressEvery: number;
}

/** @internal A thread's answer: reports, a count of uploads, or an error message. */
export type ClientReply =
  | { readonly id: number; readonly reports: Uint8Array[] }
  | { readonly id: number; readonly sent: number; readonly done?: true }
  | { readonly id: number; readonly error: string };

/** A client thread failed: the client library's message (no measurement in it). */
export class ClientThreadError extends Error {
  override readonly name = 'ClientThreadError';
}

/**
 * Starts a thread of client-thread. Run from the TypeScript sources (tsx),
 * the thread would not have the loader that the command registered in its
 * own thread: it is started from a bootstrap that registers tsx first.
 */
function startThread(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(`./client-thread.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return new Worker(entry);
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = (
    JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports: Record<string, { import?: string | { default: string } }>;
    }
  ).exports['./esm/api']?.import;
  const apiFile = typeof api === 'string' ? api : api?.default;
  if (!apiFile) throw new ClientThreadError('DAP client threads: tsx has no ./esm/api export');
  const tsx = pathToFileURL(join(dirname(manifest), apiFile)).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  onSent?: (n: number) => void;
  resolve: (r: ClientReply) => void;
  reject: (e: Error) => void;
}

/** A fixed set of client threads; close() ends them. */
export class ReportThreads {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | undefined;

  constructor(readonly threads = 2) {
    for (let i = 0; i < threads; i++) {
      const w = startThread();
      w.on('message', (m: ClientReply) => this.answer(m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (this.pending.size > 0)
          this.fail(new ClientThreadError(`DAP client thread exited (${code})`));
      });
      this.workers.push(w);
    }
  }

  private answer(m: ClientReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('error' in m) {
      this.pending.delete(m.id);
      p.reject(new ClientThreadError(`DAP client thread: ${m.error}`));
    } else if ('sent' in m) {
      p.onSent?.(m.sent);
      if (m.done) {
        this.pending.delete(m.id);
        p.resolve(m);
      }
    } else {
      this.pending.delete(m.id);
      p.resolve(m);
    }
  }

  private fail(e: Error): void {
    this.failed = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private request(
    w: Worker,
    r: Omit<ClientRequest, 'id'>,
    onSent?: (n: number) => void,
  ): Promise<ClientReply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onSent ? { onSent } : {}) });
      w.postMessage({ ...r, id });
    });
  }

  /** The measurements' slices, one per thread, in order. */
  private slices<M>(ms: readonly M[]): M[][] {
    const per = Math.ceil(ms.length / this.threads);
    return this.workers.map((_, i) => ms.slice(i * per, (i + 1) * per));
  }

  /** Encoded reports (the client's `Report.encode()`), in the measurements' order. */
  async generate<M>(task: ClientTaskSpec, ms: readonly M[], at: Date): Promise<Uint8Array[]> {
    const parts = await Promise.all(
      this.slices(ms).map((slice, i) =>
        this.request(this.workers[i]!, {
          mode: 'generate',
          task,
          measurements: slice,
          timestampMs: at.getTime(),
          concurrency: 1,
          progressEvery: 1,
        }),
      ),
    );
    return parts.flatMap((p) => ('reports' in p ? p.reports : []));
  }

  /**
   * Makes and uploads one report per measurement through the client library
   * (`sendReport`), `concurrency` uploads in flight per thread; `onSent` is
   * told of uploads as they complete, in groups.
   */
  async send<M>(
    task: ClientTaskSpec,
    ms: readonly M[],
    at: Date,
    concurrency: number,
    onSent?: (n: number) => void,
  ): Promise<void> {
    await Promise.all(
      this.slices(ms).map((slice, i) =>
        this.request(
          this.workers[i]!,
          {
            mode: 'send',
            task,
            measurements: slice,
            timestampMs: at.getTime(),
            concurrency,
            progressEvery: 50,
          },
          onSent,
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
