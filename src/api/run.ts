/**
 * Running a program with every party in this process, over the in-memory
 * transport: the way tests, benchmarks and `entente` demos run programs.
 */
import { createMemoryNetwork } from '../transport/memory.js';
import { webCryptoProvider, type CryptoProvider } from '../random/provider.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { Party } from '../runtime/party.js';
import type { StatsSnapshot } from '../runtime/stats.js';
import { suiteByName } from '../suites/index.js';
import type { SuiteFactory } from '../suites/suite.js';
import { Session } from './session.js';

/** A program: the same function runs at every party. */
export type Program<R> = (s: Session) => Promise<R>;

export interface LocalRunOptions {
  /** Suite name or factory. */
  suite: string | SuiteFactory;
  /** Party ids, or a count (ids p1..pn). Default: the suite's minimum (at least 1). */
  parties?: readonly string[] | number;
  crypto?: CryptoProvider;
  /** Bound on waiting for one round. Default 60 s. */
  roundTimeoutMs?: number;
  /** Test aid: deliver messages of different rounds out of order, driven by this source. */
  reorder?: () => number;
  /**
   * One-way delay of every message in milliseconds, as between distant
   * parties (tests, benchmarks and round-count estimates; default 0).
   */
  delayMs?: number;
}

export interface PartyOutcome<R> {
  party: string;
  result: R;
  stats: StatsSnapshot;
}

/**
 * Runs `program` at every party, in memory. Resolves with each party's result
 * and counters; if any party fails, the others are stopped (no one hangs) and
 * the first failure is thrown.
 */
export async function runLocal<R>(
  program: Program<R>,
  opts: LocalRunOptions,
): Promise<PartyOutcome<R>[]> {
  const factory = typeof opts.suite === 'string' ? suiteByName(opts.suite) : opts.suite;
  const ids = partyIds(opts.parties ?? Math.max(1, factory.minParties));
  if (ids.length < factory.minParties || ids.length > factory.maxParties) {
    throw new RangeError(
      `${factory.name}: expected ${factory.minParties === factory.maxParties ? factory.minParties : `${factory.minParties}..${factory.maxParties}`} parties, got ${ids.length}`,
    );
  }
  const transports = createMemoryNetwork(ids.length, 'local', {
    ...(opts.reorder ? { reorder: opts.reorder } : {}),
    ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
  });
  const parties = transports.map(
    (t) =>
      new Party({
        ids,
        transport: t,
        crypto: opts.crypto ?? webCryptoProvider,
        roundTimeoutMs: opts.roundTimeoutMs,
      }),
  );
  const runs = parties.map(async (party) => {
    const suite = factory.create(party);
    await suite.setup();
    const result = await program(new Session(suite, party));
    return { party: party.id, result, stats: party.stats.snapshot() };
  });
  // When one party fails, stop the rest so they fail fast instead of waiting
  // for a deadline; the first failure in time is the root cause.
  let first: { error: unknown } | undefined;
  runs.forEach((r, i) =>
    r.catch((e: unknown) => {
      first ??= { error: e };
      const why =
        e instanceof ProtocolAbort
          ? e
          : new ProtocolAbort('aborted', i, ids[i], `party ${ids[i]} failed`);
      for (const p of parties) if (p !== parties[i]) p.abort(why);
    }),
  );
  const settled = await Promise.allSettled(runs);
  for (const p of parties) p.close();
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<PartyOutcome<R>>).value);
}

function partyIds(p: readonly string[] | number): string[] {
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 1)
      throw new RangeError(`parties: expected a positive count, got ${p}`);
    return Array.from({ length: p }, (_, i) => `p${i + 1}`);
  }
  if (new Set(p).size !== p.length) throw new RangeError('parties: ids must be distinct');
  return [...p];
}
