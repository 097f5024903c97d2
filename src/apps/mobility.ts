/**
 * City mobility: transport operators (bus, metro, bike share) publish a joint
 * origin-destination matrix by hour band without showing each other, or
 * anyone, their own trips.
 *
 * Each operator aggregates its own trips locally (in SQL, by its own engine:
 * see src/cli/mobility.ts) into one count per cell (origin zone, destination
 * zone, hour band); only these counts enter MPC, as secret inputs. Inside
 * MPC the counts are summed over operators, discrete Laplace noise is added
 * to every cell (src/analytics/privacy/dp.ts; one trip changes one cell by
 * one, so the sensitivity is 1: event-level DP, which protects single trips,
 * not a traveller's whole day), every cell whose noisy total is below the
 * minimum cell size k is suppressed inside MPC, and only the remaining noisy
 * totals are revealed. No operator's own counts are ever revealed.
 *
 * Security: the suite's (rep3 by default: semi-honest, honest majority of
 * the three operators). Browser-safe.
 */
import type { Released } from '../analytics/privacy/suppress.js';
import { releaseGuarded } from '../analytics/privacy/suppress.js';
import { addDiscreteLaplace, planDiscreteLaplace } from '../analytics/privacy/dp.js';
import { runLocal } from '../api/run.js';
import type { Session } from '../api/session.js';
import { int } from '../api/types.js';
import type { CryptoProvider } from '../random/provider.js';

/** Hour bands of the matrix: [first hour, last hour] and a name. */
export const HOUR_BANDS = [
  { name: 'night', from: 0, to: 5 },
  { name: 'morning peak', from: 6, to: 9 },
  { name: 'daytime', from: 10, to: 15 },
  { name: 'evening peak', from: 16, to: 19 },
  { name: 'evening', from: 20, to: 23 },
] as const;

/** The band of an hour 0..23. */
export function bandOf(hour: number): number {
  return HOUR_BANDS.findIndex((b) => hour >= b.from && hour <= b.to);
}

/** Cell index of (origin, destination, band) in a matrix over `zones` zones: band-major, then origin, then destination. */
export function cellOf(zones: number, origin: number, destination: number, band: number): number {
  return (band * zones + origin) * zones + destination;
}

export interface OdOptions {
  readonly zones: number;
  /** Minimum cell size k: cells whose (noisy) total is below k are suppressed. */
  readonly minCellSize: number;
  /** Privacy parameter of the noise per cell; undefined: no noise (exact totals, k only). */
  readonly epsilon: number | undefined;
  /** Largest count one operator may report for one cell (bounds the secret's width). */
  readonly maxCellCount?: number;
}

/** Bits of the secret cell counts: 2^31 trips per cell and operator is far beyond any city. */
const COUNT_BITS = 40;

/**
 * The program each operator runs: its own cell counts in, the released
 * matrix out (null where suppressed). `own` is this party's counts; every
 * party passes the same options.
 */
export function odMatrixProgram(
  own: Int32Array,
  opts: OdOptions,
): (s: Session) => Promise<Released> {
  const cells = opts.zones * opts.zones * HOUR_BANDS.length;
  if (own.length !== cells)
    throw new RangeError(
      `od matrix: expected ${cells} cell counts (${opts.zones} zones x ${opts.zones} x ${HOUR_BANDS.length} bands), got ${own.length}`,
    );
  const max = opts.maxCellCount ?? 2 ** 31 - 1;
  for (let i = 0; i < own.length; i++)
    if (own[i]! < 0 || own[i]! > max)
      throw new RangeError(`od matrix: cell ${i} holds a count outside 0..${max}`);
  const plan = opts.epsilon === undefined ? undefined : planDiscreteLaplace(opts.epsilon, 1);
  return async (s: Session) => {
    // Every operator inputs its vector; the totals are local additions of shares.
    const parts = s.parties.map((p) =>
      s.input(p, int(COUNT_BITS), p === s.me ? Array.from(own) : cells),
    );
    let total = parts[0]!;
    for (const x of parts.slice(1)) total = total.add(x);
    const noisy = plan ? addDiscreteLaplace(s, total, plan) : total;
    // The noisy total is both the value and its support: a cell is shown only
    // when its noisy count reaches k, so suppression spends no extra privacy.
    const [released] = await releaseGuarded(
      s,
      [{ value: noisy, support: noisy }],
      opts.minCellSize,
    );
    return released!;
  };
}

export interface OdRun {
  /** Released noisy totals per cell, null where suppressed. */
  readonly cells: (number | null)[];
  readonly seconds: number;
  readonly bytesSent: number;
  readonly rounds: number;
}

/**
 * Runs the program with one party per operator in this process (rep3, three
 * operators), each feeding its own counts.
 */
export async function runOdMatrix(
  counts: readonly Int32Array[],
  opts: OdOptions,
  crypto: CryptoProvider,
  suite = 'rep3',
): Promise<OdRun> {
  const ids = counts.map((_, i) => `operator-${i + 1}`);
  const byId = new Map(ids.map((id, i) => [id, counts[i]!]));
  const t0 = performance.now();
  const out = await runLocal((s) => odMatrixProgram(byId.get(s.me)!, opts)(s), {
    suite,
    parties: ids,
    crypto,
  });
  return {
    cells: out[0]!.result.values,
    seconds: (performance.now() - t0) / 1000,
    bytesSent: out.reduce((a, o) => a + o.stats.bytesSent, 0),
    rounds: Math.max(...out.map((o) => o.stats.rounds)),
  };
}
