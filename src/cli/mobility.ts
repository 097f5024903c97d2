/**
 * `entente demo mobility`: three transport operators (bus, metro, bike share)
 * with synthetic trips in Parquet files; each aggregates its own trips in SQL
 * with DuckDB (only per-cell counts leave the engine), the counts are summed,
 * noised and suppressed inside MPC (src/apps/mobility.ts), and the released
 * origin-destination matrix is printed beside the plaintext answer on the
 * pooled trips (demo only) and drawn as a heatmap.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { HOUR_BANDS, runOdMatrix } from '../apps/mobility.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';

/** The operators: name, and how many zones (from the centre out) they serve. */
export const OPERATORS = [
  { id: 'bus', name: 'Bus', zones: 100 },
  { id: 'metro', name: 'Metro', zones: 40 },
  { id: 'bike', name: 'Bike share', zones: 60 },
] as const;

/** Travellers in the city: trips of all operators draw their ids from one population. */
const TRAVELLERS = 2_000_000;

/**
 * Writes one operator's synthetic trips (origin, destination, hour,
 * traveller_id) as Parquet, from a seed: zones nearer the centre (lower
 * numbers) are busier, and hours peak in the morning and the evening.
 * Deterministic for a given DuckDB version (it uses DuckDB's hash).
 */
export async function writeTrips(
  c: DuckDBConnection,
  file: string,
  op: number,
  trips: number,
  zones: number,
  seed: number,
): Promise<void> {
  const cover = Math.min(zones, Math.round((OPERATORS[op]!.zones * zones) / 100));
  const u = (k: number) => `(hash(i, ${op}, ${seed}, ${k}) % 1000000) / 1000000.0`;
  await c.run(`COPY (
    SELECT
      CAST(floor(${cover} * pow(${u(1)}, 1.8)) AS INTEGER) AS origin,
      CAST(floor(${cover} * pow(${u(2)}, 1.8)) AS INTEGER) AS destination,
      CAST(CASE WHEN ${u(3)} < 0.3 THEN 6 + floor(${u(4)} * 4)
                WHEN ${u(3)} < 0.55 THEN 16 + floor(${u(4)} * 4)
                ELSE floor(${u(4)} * 24) END AS INTEGER) AS hour,
      CAST(hash(i, ${op}, ${seed}, 5) % ${TRAVELLERS} AS BIGINT) AS traveller_id
    FROM range(${trips}) r(i)
  ) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
}

/** The SQL band of an hour, from HOUR_BANDS (one place for the bands). */
export function bandSql(): string {
  return `CASE ${HOUR_BANDS.map((b, i) => `WHEN hour <= ${b.to} THEN ${i}`).join(' ')} END`;
}

/**
 * One operator's cell counts, computed by DuckDB over its Parquet file (the
 * pushdown: no trip enters JavaScript). Trips with a zone or hour outside the
 * matrix are refused with their number, never quoted.
 */
export async function localCounts(
  c: DuckDBConnection,
  file: string,
  zones: number,
): Promise<{ counts: Int32Array; trips: number }> {
  const bad = await c.runAndReadAll(
    `SELECT count(*) FILTER (WHERE origin IS NULL OR origin < 0 OR origin >= $2
                                OR destination IS NULL OR destination < 0 OR destination >= $2),
            count(*) FILTER (WHERE hour IS NULL OR hour < 0 OR hour > 23),
            count(*)
     FROM read_parquet($1)`,
    [file, zones],
  );
  const [zoneBad, hourBad, total] = bad.getRows()[0]!.map(Number) as [number, number, number];
  if (zoneBad > 0 || hourBad > 0)
    throw new UsageError(
      `${file}: ${zoneBad} trips have an origin or destination outside 0..${zones - 1} and ${hourBad} an hour outside 0..23`,
    );
  const r = await c.runAndReadAll(
    `SELECT ((${bandSql()}) * $2 + origin) * $2 + destination AS cell, count(*) AS n
     FROM read_parquet($1) GROUP BY cell`,
    [file, zones],
  );
  const counts = new Int32Array(zones * zones * HOUR_BANDS.length);
  for (const [cell, n] of r.getRows()) counts[Number(cell)] = Number(n);
  return { counts, trips: total };
}

const exists = (f: string) =>
  access(f).then(
    () => true,
    () => false,
  );

/** A heatmap per hour band: origin rows, destination columns; grey where suppressed. */
export function heatmapSvg(cells: readonly (number | null)[], zones: number): string {
  const px = zones <= 20 ? 12 : 3;
  const gap = 24;
  const w = zones * px;
  const max = Math.max(1, ...cells.map((v) => v ?? 0));
  const parts: string[] = [];
  HOUR_BANDS.forEach((b, band) => {
    const x0 = band * (w + gap);
    parts.push(`<text x="${x0}" y="14" font-size="12">${b.name} (${b.from}-${b.to} h)</text>`);
    parts.push(`<rect x="${x0}" y="20" width="${w}" height="${w}" fill="#ddd"/>`);
    for (let o = 0; o < zones; o++)
      for (let d = 0; d < zones; d++) {
        const v = cells[(band * zones + o) * zones + d];
        if (v === null || v === undefined) continue;
        const t = Math.log1p(Math.max(0, v)) / Math.log1p(max);
        const shade = Math.round(255 * (1 - t));
        parts.push(
          `<rect x="${x0 + d * px}" y="${20 + o * px}" width="${px}" height="${px}" fill="rgb(255,${shade},${Math.round(shade * 0.6)})"/>`,
        );
      }
  });
  const width = HOUR_BANDS.length * (w + gap);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${w + 40}" font-family="sans-serif">
<title>Origin-destination trips by hour band (rows: origin zone, columns: destination zone; grey: suppressed)</title>
${parts.join('\n')}
</svg>
`;
}

export async function mobilityDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo mobility: unexpected argument '${positional[0]}'`);
  const trips = demoIntOption('mobility', named, 'trips', 10_000_000, 1, 1_000_000_000);
  const zones = demoIntOption('mobility', named, 'zones', 100, 2, 200);
  const k = demoIntOption('mobility', named, 'min-cell-size', 10, 0, 1_000_000);
  const seed = demoIntOption('mobility', named, 'seed', 2026, 0, 2 ** 31 - 1);
  const eps = named.get('epsilon') ?? '1';
  const epsilon = eps === 'none' ? undefined : Number(eps);
  if (epsilon !== undefined && !(epsilon > 0 && epsilon <= 64))
    throw new UsageError(`demo mobility: --epsilon must be in (0, 64] or 'none', got '${eps}'`);
  const dir = resolve(
    named.get('dir') ?? join(tmpdir(), `entente-mobility-${trips}-${zones}-${seed}`),
  );
  const out = resolve(named.get('out') ?? join(dir, 'report'));
  await mkdir(dir, { recursive: true });

  console.log(
    `City mobility: ${OPERATORS.map((o) => o.name).join(', ')}; ${trips.toLocaleString('en')} synthetic trips each (seed ${seed}), ${zones} zones x ${HOUR_BANDS.length} hour bands`,
  );
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const local: { counts: Int32Array; trips: number }[] = [];
  try {
    for (const [i, o] of OPERATORS.entries()) {
      const file = join(dir, `${o.id}.parquet`);
      if (!(await exists(file))) {
        const t = performance.now();
        await writeTrips(c, file, i, trips, zones, seed);
        console.log(`  generated ${file} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      }
    }
    for (const o of OPERATORS) {
      const t = performance.now();
      local.push(await localCounts(c, join(dir, `${o.id}.parquet`), zones));
      console.log(
        `  ${o.name}: its own ${local.at(-1)!.trips.toLocaleString('en')} trips aggregated in SQL (DuckDB) in ${((performance.now() - t) / 1000).toFixed(1)} s; only its cell counts enter MPC`,
      );
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }

  console.log(
    `MPC (rep3, the three operators in this process): sum, ${epsilon === undefined ? 'no noise' : `discrete Laplace noise at epsilon ${epsilon} per cell (event-level: protects single trips)`}, suppression below k = ${k}`,
  );
  const r = await runOdMatrix(
    local.map((l) => l.counts),
    { zones, minCellSize: k, epsilon },
    nodeCryptoProvider,
  );

  // The plaintext answer on the pooled trips: demo only, for comparison.
  const pooled = new Float64Array(r.cells.length);
  for (const l of local) for (let i = 0; i < pooled.length; i++) pooled[i]! += l.counts[i]!;
  let shown = 0;
  let absErr = 0;
  let releasedTrips = 0;
  for (let i = 0; i < pooled.length; i++) {
    const v = r.cells[i];
    if (v === null || v === undefined) continue;
    shown++;
    absErr += Math.abs(v - pooled[i]!);
    releasedTrips += v;
  }
  const totalTrips = pooled.reduce((a, b) => a + b, 0);
  console.log(
    `released ${shown} of ${pooled.length} cells (${pooled.length - shown} suppressed), holding ${releasedTrips.toLocaleString('en')} trips of ${totalTrips.toLocaleString('en')} pooled; ` +
      `mean |released - plaintext| ${shown ? (absErr / shown).toFixed(2) : '-'} trips per cell`,
  );
  console.log(
    `MPC: ${r.seconds.toFixed(1)} s, ${(r.bytesSent / 1e6).toFixed(1)} MB sent in all, ${r.rounds} rounds`,
  );
  const peak = HOUR_BANDS.findIndex((b) => b.name === 'morning peak');
  const top = Array.from({ length: zones * zones }, (_, j) => peak * zones * zones + j)
    .sort((a, b) => pooled[b]! - pooled[a]!)
    .slice(0, 8);
  console.log(`busiest flows in the morning peak:`);
  console.log(
    `  ${'origin -> dest'.padEnd(16)} ${'secure'.padStart(10)} ${'plaintext'.padStart(10)}`,
  );
  for (const cell of top) {
    const j = cell - peak * zones * zones;
    const v = r.cells[cell];
    console.log(
      `  ${`${Math.floor(j / zones)} -> ${j % zones}`.padEnd(16)} ${String(v ?? 'suppressed').padStart(10)} ${String(pooled[cell]).padStart(10)}`,
    );
  }
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'mobility.svg'), heatmapSvg(r.cells, zones));
  await writeFile(
    join(out, 'mobility.json'),
    JSON.stringify(
      {
        operators: OPERATORS.map((o) => o.name),
        zones,
        bands: HOUR_BANDS,
        minCellSize: k,
        epsilon: epsilon ?? null,
        cells: r.cells,
        mpc: { seconds: r.seconds, bytesSent: r.bytesSent, rounds: r.rounds },
      },
      null,
      1,
    ) + '\n',
  );
  console.log(`report: ${join(out, 'mobility.json')}, heatmap: ${join(out, 'mobility.svg')}`);
  return EXIT.ok;
}
