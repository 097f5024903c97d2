/**
 * Test aid: n parties in one process over the in-memory transport, each
 * running its own side of a protocol for real. The crypto provider is passed
 * in (tests use node:crypto's), so this module stays browser-safe.
 */
import type { CryptoProvider } from '../random/provider.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { Party } from '../runtime/party.js';
import { createMemoryNetwork } from '../transport/memory.js';

/** Creates n connected parties p1..pn. */
export function localParties(n: number, crypto: CryptoProvider, roundTimeoutMs = 20_000): Party[] {
  const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  return createMemoryNetwork(n, 'primitives-test').map(
    (transport) => new Party({ ids, transport, crypto, roundTimeoutMs }),
  );
}

/**
 * Runs `f` at every party; when one fails the others are stopped (so none
 * waits for a deadline) and the first failure is thrown.
 */
export async function runParties<R>(
  parties: readonly Party[],
  f: (p: Party) => Promise<R>,
): Promise<R[]> {
  let first: { error: unknown } | undefined;
  const runs = parties.map((p) =>
    f(p).catch((e: unknown) => {
      first ??= { error: e };
      const why =
        e instanceof ProtocolAbort ? e : new ProtocolAbort('aborted', p.index, p.id, 'failed');
      for (const q of parties) if (q !== p) q.abort(why);
      throw e;
    }),
  );
  const settled = await Promise.allSettled(runs);
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}
