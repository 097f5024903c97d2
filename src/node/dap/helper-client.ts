/**
 * The Leader's requests to the Helper (draft-09 sections 4.4.1 and 4.4.4),
 * authenticated with the task's aggregator token and bounded in time.
 */
import { AUTH_HEADER } from '../../dap/version.js';
import { DapRequestError } from './errors.js';
import type { DapContext, LoadedTask } from './tasks.js';

/** The Helper did not answer (network, timeout): retried on the next poll. */
export class HelperUnreachable extends DapRequestError {}

export async function helperRequest(
  ctx: DapContext,
  t: LoadedTask,
  method: 'PUT' | 'POST',
  path: string,
  type: string,
  body: Uint8Array,
): Promise<Uint8Array> {
  const url = new URL(path, t.task.helperUrl).toString();
  let res: Response;
  try {
    res = await ctx.fetch(url, {
      method,
      headers: { 'content-type': type, [AUTH_HEADER]: t.task.aggregatorToken },
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(ctx.requestTimeoutMs),
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
