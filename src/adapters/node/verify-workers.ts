/**
 * Election-record verification on worker threads: a ChunkRunner
 * (src/vote/verify-chunks.ts) that checks each chunk of ballots on its own
 * thread, and the verifier the CLI and the benchmark use. Node-only.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  verifyElectionChunked,
  type ChunkResult,
  type ChunkRunner,
  type ChunkTask,
} from '../../vote/verify-chunks.js';
import { verifyElectionJson, type VerifyOptions, type VerifyResult } from '../../vote/verify.js';

/**
 * Starts the worker for one chunk. Run from the TypeScript sources (tsx), the
 * worker would not have the loader that the command registered in its own
 * thread: it is started from a two-line bootstrap that registers tsx first.
 */
function startWorker(task: ChunkTask): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(`./verify-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData: task });
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = (
    JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports: Record<string, { import?: string | { default: string } }>;
    }
  ).exports['./esm/api']?.import;
  const apiFile = typeof api === 'string' ? api : api?.default;
  if (!apiFile) throw new Error('verify workers: tsx has no ./esm/api export');
  const tsx = pathToFileURL(join(dirname(manifest), apiFile)).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData: task });
}

function runInWorker(task: ChunkTask): Promise<ChunkResult> {
  return new Promise((resolve, reject) => {
    const w = startWorker(task);
    let done = false;
    w.once('message', (r: ChunkResult) => {
      done = true;
      resolve(r);
      void w.terminate();
    });
    w.once('error', (e) => {
      done = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`verify worker exited with code ${code} before its result`));
    });
  });
}

/** Each chunk on its own worker thread, all at once. */
export const workerRunner: ChunkRunner = (tasks) => Promise.all(tasks.map(runInWorker));

/** Below this many ballots a record is checked on the calling thread (starting a worker costs more). */
export const MIN_BALLOTS_FOR_WORKERS = 100;

/**
 * verifyElectionJson on `workers` threads (default: one per core): the same
 * verdict and the same first failure as the sequential verifier. A record of
 * fewer than MIN_BALLOTS_FOR_WORKERS ballots (unless `workers` is given), or
 * `workers` 1, is checked on the calling thread.
 */
export async function verifyElectionInWorkers(
  json: unknown,
  opts: VerifyOptions & { readonly workers?: number },
): Promise<VerifyResult> {
  const ballots = (json as { ballots?: unknown } | null)?.ballots;
  const small = !Array.isArray(ballots) || ballots.length < MIN_BALLOTS_FOR_WORKERS;
  const workers = opts.workers ?? (small ? 1 : availableParallelism());
  if (workers <= 1) return verifyElectionJson(json, opts);
  return verifyElectionChunked(json, { ...opts, runner: workerRunner, chunks: workers });
}
