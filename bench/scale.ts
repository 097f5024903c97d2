/**
 * `npm run bench -- scale [--trips N] [--zones Z] [--rows R]`: data at scale.
 *
 * 1. Loading one party's table (the hospital schema) of R rows (default 1M)
 *    from CSV, from Parquet and through a DuckDB query: rows/s and the
 *    process's peak memory, first call beside a second (warm) call.
 * 2. The city-mobility origin-destination matrix over 3 x N trips (default
 *    10M): each operator's local aggregation in SQL (DuckDB pushdown), then
 *    the secure sum, DP noise and suppression over the cell counts (rep3,
 *    three parties in this process, in-memory transport). Baseline: the same
 *    matrix computed in the clear by DuckDB over the pooled files.
 *
 * Not here yet (issue 18): the hospital study at 3 x 1M / 10M rows over TLS
 * processes, quantiles of 3 x 1M secret values with shards.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { access, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { loadQuery, loadTable } from '../src/adapters/node/data.js';
import { parseSchema } from '../src/analytics/data/schema.js';
import { HOSPITAL_SCHEMA } from '../src/apps/hospitals.js';
import { HOUR_BANDS, runOdMatrix } from '../src/apps/mobility.js';
import { writeHospitals } from '../src/cli/study.js';
import { OPERATORS, bandSql, localCounts, writeTrips } from '../src/cli/mobility.js';

function option(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

const exists = (f: string) =>
  access(f).then(
    () => true,
    () => false,
  );

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; s: number }> {
  const t = performance.now();
  const value = await f();
  return { value, s: (performance.now() - t) / 1000 };
}

async function loading(rows: number): Promise<void> {
  const dir = join(tmpdir(), `entente-bench-scale-${rows}`);
  await mkdir(dir, { recursive: true });
  const csv = join(dir, 'hospital-a.csv');
  const parquet = join(dir, 'hospital-a.parquet');
  if (!(await exists(csv))) {
    // writeHospitals writes three files; the benchmark reads the first.
    await writeHospitals(dir, rows);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_csv('${csv}', header = true, types = {'recovery_days': 'INTEGER'})) TO '${parquet}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
  }
  const schema = parseSchema(HOSPITAL_SCHEMA);
  const query = {
    sql: `SELECT * FROM 'hospital-a.parquet' WHERE age >= 18`,
    engine: 'duckdb' as const,
    connection: undefined,
  };
  console.log(`\nloading one party's table, ${rows.toLocaleString('en')} rows x 7 columns`);
  console.log('  source            first (rows/s)   warm (rows/s)   peak RSS');
  for (const [name, load] of [
    ['CSV', () => loadTable(csv, schema)],
    ['Parquet', () => loadTable(parquet, schema)],
    ['DuckDB query', () => loadQuery(query, schema, dir)],
  ] as const) {
    const first = await timed(load);
    const warm = await timed(load);
    console.log(
      `  ${name.padEnd(16)} ${first.s.toFixed(2).padStart(6)} s (${Math.round(rows / first.s).toLocaleString('en')})  ${warm.s.toFixed(2).padStart(6)} s (${Math.round(rows / warm.s).toLocaleString('en')})  ${mib(process.resourceUsage().maxRSS * 1024)}`,
    );
  }
}

async function mobility(trips: number, zones: number): Promise<void> {
  const dir = join(tmpdir(), `entente-mobility-${trips}-${zones}-2026`);
  await mkdir(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const files = OPERATORS.map((o) => join(dir, `${o.id}.parquet`));
  for (const [i, f] of files.entries())
    if (!(await exists(f))) await writeTrips(c, f, i, trips, zones, 2026);
  console.log(
    `\ncity mobility: 3 operators x ${trips.toLocaleString('en')} trips, ${zones} zones x ${HOUR_BANDS.length} bands = ${zones * zones * HOUR_BANDS.length} cells`,
  );
  const counts: Int32Array[] = [];
  for (const [i, f] of files.entries()) {
    const first = await timed(() => localCounts(c, f, zones));
    const warm = await timed(() => localCounts(c, f, zones));
    counts.push(first.value.counts);
    console.log(
      `  ${OPERATORS[i]!.name.padEnd(11)} local SQL aggregation: first ${first.s.toFixed(2)} s, warm ${warm.s.toFixed(2)} s (${Math.round(trips / warm.s / 1e6)}M trips/s)`,
    );
  }
  const plain = await timed(() =>
    c.runAndReadAll(
      `SELECT origin, destination, ${bandSql()} AS band, count(*) FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}]) GROUP BY ALL`,
    ),
  );
  c.closeSync();
  db.closeSync();
  for (const [label, epsilon] of [
    ['no noise, k = 10', undefined],
    ['DP epsilon 1, k = 10', 1],
  ] as const) {
    const r = await runOdMatrix(counts, { zones, minCellSize: 10, epsilon }, nodeCryptoProvider);
    console.log(
      `  MPC (${label}): ${r.seconds.toFixed(1)} s, ${(r.bytesSent / 1e6).toFixed(1)} MB sent in all, ${r.rounds} rounds; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`,
    );
  }
  console.log(
    `  plaintext baseline (DuckDB over the pooled files, one query): ${plain.s.toFixed(2)} s`,
  );
}

export async function runScaleBench(args: string[]): Promise<void> {
  console.log(
    `machine: ${(await import('node:os')).cpus().length} cores; load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  await loading(option(args, 'rows', 1_000_000));
  await mobility(option(args, 'trips', 10_000_000), option(args, 'zones', 100));
}
