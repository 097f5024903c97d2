/**
 * Runs a program at three (or more) parties in this process, each over its own TLS 1.3
 * endpoint on 127.0.0.1 with a fresh identity (the transport of `entente run
 * --federation`, pinned certificates), rep3: what the one-command demos use to show
 * their compute nodes talking over TLS rather than in memory.
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { generateIdentity } from '../adapters/node/net/identity.js';
import { TlsEndpoint } from '../adapters/node/net/tls.js';
import type { PartyOutcome, Program } from '../api/run.js';
import { Session } from '../api/session.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { Party } from '../runtime/party.js';
import { suiteByName } from '../suites/index.js';

export async function runOverTls<R>(
  program: Program<R>,
  ids: readonly string[],
  suite = 'rep3',
): Promise<PartyOutcome<R>[]> {
  const factory = suiteByName(suite);
  const identities = await Promise.all(ids.map((id) => generateIdentity(id)));
  const endpoints = await Promise.all(
    identities.map((idn) =>
      TlsEndpoint.listen({ host: '127.0.0.1', port: 0, key: idn.key, cert: idn.cert }),
    ),
  );
  const peers = ids.map((id, i) => ({
    id,
    host: '127.0.0.1',
    port: endpoints[i]!.port,
    fingerprint: identities[i]!.fingerprint,
  }));
  const transports = await Promise.all(
    endpoints.map((ep, i) =>
      ep.connect({ self: i, peers, sessionId: 'demo', connectTimeoutMs: 30_000 }),
    ),
  );
  const parties = transports.map(
    (t) => new Party({ ids: [...ids], transport: t, crypto: nodeCryptoProvider }),
  );
  try {
    const runs = parties.map(async (party) => {
      const s = factory.create(party);
      await s.setup();
      const result = await program(new Session(s, party));
      return { party: party.id, result, stats: party.stats.snapshot() };
    });
    // One party failing stops the others, so that none waits for a deadline.
    runs.forEach((r, i) =>
      r.catch(() => {
        for (const p of parties)
          if (p !== parties[i])
            p.abort(new ProtocolAbort('aborted', i, ids[i], `party ${ids[i]} failed`));
      }),
    );
    return await Promise.all(runs);
  } finally {
    await Promise.all(transports.map((t) => t.shutdown(1_000)));
  }
}
