/**
 * Round counts as a plan (issue 24): how long a computation will take
 * between distant parties, known before it runs there.
 *
 * Every round of an MPC protocol costs one one-way delay: each party sends
 * its round's messages before it waits for its peers', so a round ends when
 * the last peer's message has crossed one link. The estimate is therefore
 *
 *   time(RTT) ~ compute + rounds x RTT / 2
 *
 * where `rounds` and `compute` come from a dry run of the same program (same
 * suite, same parties, same input sizes) with every party in this process
 * over the in-memory transport, which adds no delay. Rounds are exact for a
 * program whose control flow depends only on public values (as the programs
 * and analyses of this project do); compute is the dry run's wall time with
 * all parties on one thread, an estimate of what the parties need when each
 * has its own core, and bandwidth is not modelled (a link that carries the
 * bytes in much less than the delay, as on loopback or a datacentre link).
 */
import type { CryptoProvider } from '../random/provider.js';
import type { SuiteFactory } from '../suites/suite.js';
import { runLocal, type Program } from './run.js';

/** Rounds and compute of a dry run. */
export interface RoundCount {
  /** Sequential rounds (the most any party took). */
  rounds: number;
  /** Wall time of the dry run, in seconds. */
  computeSeconds: number;
  /** Bytes the busiest party sent. */
  bytesSent: number;
}

/**
 * The estimated wall time, in seconds, at round-trip time `rttMs`:
 * compute + rounds x one-way delay (RTT / 2). See the module comment.
 * @throws {RangeError} for a negative or non-finite RTT.
 */
export function estimateSeconds(
  c: Pick<RoundCount, 'rounds' | 'computeSeconds'>,
  rttMs: number,
): number {
  if (!Number.isFinite(rttMs) || rttMs < 0)
    throw new RangeError(`estimate: RTT must be a non-negative number of ms, got ${rttMs}`);
  return c.computeSeconds + (c.rounds * rttMs) / 2 / 1000;
}

/**
 * Counts the rounds of `program` by a dry run: every party in this process,
 * over the in-memory transport, under the real suite (so the count is the
 * suite's own, not a model of it).
 * @throws whatever the program throws.
 */
export async function countRounds<R>(
  program: Program<R>,
  suite: string | SuiteFactory,
  parties: number | readonly string[],
  crypto?: CryptoProvider,
): Promise<RoundCount & { results: R[] }> {
  const t0 = performance.now();
  const outs = await runLocal(program, { suite, parties, crypto, roundTimeoutMs: 600_000 });
  return {
    rounds: Math.max(...outs.map((o) => o.stats.rounds)),
    computeSeconds: (performance.now() - t0) / 1000,
    bytesSent: Math.max(...outs.map((o) => o.stats.bytesSent)),
    results: outs.map((o) => o.result),
  };
}

/**
 * A round-trip time as written on a command line: `100ms`, `0.1s` or a bare
 * number of milliseconds (`100`).
 * @throws {RangeError} naming the text when it is none of these.
 */
export function parseRtt(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!m) throw new RangeError(`expected a round-trip time such as 100ms or 0.1s, got '${text}'`);
  const v = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (v > 60_000) throw new RangeError(`expected a round-trip time of at most 60 s, got '${text}'`);
  return v;
}

/** The sentence every printed estimate carries: what it is and how it was computed. */
export const ESTIMATE_NOTE =
  'estimates, not measurements: time = compute + rounds x RTT/2 (one one-way delay per round: ' +
  'every party sends before it waits), with rounds and compute from a dry run of the same ' +
  'computation with every party in this process (in-memory transport, no delay); bandwidth and ' +
  'the parties competing for cores are not modelled';
