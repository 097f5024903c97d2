/**
 * One worker thread of ReportThreads (client-threads.ts): makes DAP reports
 * with the unmodified @divviup/dap client (each a Prio3 sharding with its
 * proof and two HPKE encryptions, the client's whole cost) and either returns
 * them encoded or uploads them to the Leader itself. Simulated respondents
 * only: the demos and the benchmark, never a real contributor's input.
 */
import { parentPort } from 'node:worker_threads';
import { Task } from '@divviup/dap';
import type { ClientRequest, ClientReply } from './client-threads.js';

/** The client tasks this thread has built, by task id: the HPKE configurations are fetched once. */
const tasks = new Map<string, Task<never, never>>();

function clientTask(r: ClientRequest): Task<never, never> {
  let t = tasks.get(r.task.id);
  if (!t) {
    t = new Task(r.task as never);
    tasks.set(r.task.id, t);
  }
  return t;
}

async function handle(r: ClientRequest): Promise<ClientReply> {
  const task = clientTask(r);
  const at = { timestamp: new Date(r.timestampMs) };
  if (r.mode === 'generate') {
    const reports: Uint8Array[] = [];
    for (const m of r.measurements) {
      const b = (await task.generateReport(m as never, at)).encode();
      reports.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    }
    return { id: r.id, reports };
  }
  let next = 0;
  let sent = 0;
  const uploader = async () => {
    while (next < r.measurements.length) {
      const m = r.measurements[next++];
      await task.sendReport(await task.generateReport(m as never, at));
      if (++sent % r.progressEvery === 0)
        parentPort!.postMessage({ id: r.id, sent: r.progressEvery });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, r.concurrency) }, uploader));
  return { id: r.id, sent: sent % r.progressEvery, done: true };
}

parentPort!.on('message', (r: ClientRequest) => {
  handle(r).then(
    (reply) =>
      parentPort!.postMessage(
        reply,
        'reports' in reply ? reply.reports.map((b) => b.buffer as ArrayBuffer) : [],
      ),
    (e: unknown) => parentPort!.postMessage({ id: r.id, error: (e as Error).message }),
  );
});
