/**
 * The city-mobility demo's parts: synthetic trips in Parquet, each operator's
 * cell counts computed in SQL by DuckDB (checked against counting the same
 * rows in JavaScript), and the secure matrix (three operators, rep3, for
 * real) against the pooled plaintext: exact where no noise is asked, and
 * suppressed exactly where the total is below k.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { bandOf, cellOf, HOUR_BANDS, runOdMatrix } from '../src/apps/mobility.js';
import { heatmapSvg, localCounts, writeTrips } from '../src/cli/mobility.js';
import { UsageError } from '../src/cli/exit.js';

const ZONES = 6;
const CELLS = ZONES * ZONES * HOUR_BANDS.length;

describe('entente demo mobility', () => {
  let dir: string;
  let db: DuckDBInstance;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-mobility-'));
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(async () => {
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts cells in SQL as counting the rows one by one does', async () => {
    const c = await db.connect();
    const file = join(dir, 'bus.parquet');
    await writeTrips(c, file, 0, 5000, ZONES, 7);
    const { counts, trips } = await localCounts(c, file, ZONES);
    expect(trips).toBe(5000);
    const rows = (
      await c.runAndReadAll(`SELECT origin, destination, hour FROM '${file}'`)
    ).getRows();
    const byHand = new Int32Array(CELLS);
    for (const [o, d, h] of rows) byHand[cellOf(ZONES, Number(o), Number(d), bandOf(Number(h)))]!++;
    expect(Array.from(counts)).toEqual(Array.from(byHand));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000);
    // Bands cover every hour exactly once.
    expect(Array.from({ length: 24 }, (_, h) => bandOf(h)).every((b) => b >= 0)).toBe(true);
    c.closeSync();
  });

  it('refuses trips outside the matrix, with their number and no value', async () => {
    const c = await db.connect();
    const file = join(dir, 'bad.parquet');
    await c.run(
      `COPY (SELECT 1 AS origin, 99 AS destination, 7 AS hour UNION ALL SELECT 1, 2, 25) TO '${file}' (FORMAT parquet)`,
    );
    const e = await localCounts(c, file, ZONES).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(
      /1 trips have an origin or destination outside 0\.\.5 and 1 an hour outside 0\.\.23/,
    );
    c.closeSync();
  });

  it('releases the pooled totals at or above k and suppresses the rest (no noise)', async () => {
    // Random counts with edges: zeros, cells just below and at k, one large cell.
    const k = 5;
    const counts = [0, 1, 2].map((p) =>
      Int32Array.from({ length: CELLS }, (_, i) =>
        (i * 7 + p * 13) % 11 === 0 ? 0 : (i * (p + 3)) % 4,
      ),
    );
    counts[0]![0] = 2 ** 31 - 1 - 10;
    counts[1]![0] = 10;
    counts[2]![1] = k - 1;
    counts[0]![1] = 0;
    counts[1]![1] = 0;
    const r = await runOdMatrix(
      counts,
      { zones: ZONES, minCellSize: k, epsilon: undefined },
      nodeCryptoProvider,
    );
    const pooled = Array.from(
      { length: CELLS },
      (_, i) => counts[0]![i]! + counts[1]![i]! + counts[2]![i]!,
    );
    expect(r.cells).toEqual(pooled.map((v) => (v >= k ? v : null)));
    expect(r.cells[0]).toBe(2 ** 31 - 1);
    expect(r.cells[1]).toBeNull();
  });

  it('adds noise inside MPC when epsilon is set: totals move, but by little', async () => {
    const counts = [0, 1, 2].map(() => Int32Array.from({ length: CELLS }, () => 50));
    const r = await runOdMatrix(
      counts,
      { zones: ZONES, minCellSize: 0, epsilon: 1 },
      nodeCryptoProvider,
    );
    const diffs = r.cells.map((v) => v! - 150);
    // Discrete Laplace with scale 1: some cells move, none by 30 (probability e^-30 each).
    expect(diffs.some((d) => d !== 0)).toBe(true);
    expect(diffs.every((d) => Math.abs(d) < 30)).toBe(true);
  });

  it('refuses counts of the wrong shape or out of range before any MPC', async () => {
    const opts = { zones: ZONES, minCellSize: 1, epsilon: undefined };
    const short = new Int32Array(3);
    await expect(runOdMatrix([short, short, short], opts, nodeCryptoProvider)).rejects.toThrow(
      /expected 180 cell counts \(6 zones x 6 x 5 bands\), got 3/,
    );
    const neg = Int32Array.from({ length: CELLS }, () => 0);
    neg[5] = -1;
    await expect(runOdMatrix([neg, neg, neg], opts, nodeCryptoProvider)).rejects.toThrow(
      /cell 5 holds a count outside/,
    );
  });

  it('draws a heatmap with one panel per band, leaving suppressed cells grey', async () => {
    const cells: (number | null)[] = Array.from({ length: CELLS }, (_, i) =>
      i % 3 === 0 ? null : i,
    );
    const svg = heatmapSvg(cells, ZONES);
    expect(svg.match(/<text /g)!.length).toBe(HOUR_BANDS.length);
    expect(svg.match(/<rect /g)!.length).toBe(
      HOUR_BANDS.length + cells.filter((v) => v !== null).length,
    );
    await writeFile(join(dir, 'h.svg'), svg);
  });
});
