/**
 * `npm run bench -- scale [--trips N] [--zones Z] [--rows R] [--study-rows R]
 * [--hospital-rows R] [--hospital-pushdown-rows R] [--hospital-loaded-rows R]`:
 * data at scale (0 skips a part).
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
 * 3. `--study-rows R` (default 10M; 0 skips): a study of counting analyses
 *    (counts, rates, means, sums, a crosstab and a histogram) over three
 *    hospitals' Parquet files of R rows each, run by `entente study` as three
 *    processes over loopback TLS, every party's aggregates computed by its
 *    DuckDB (pushdown): wall time and the largest process's peak memory.
 *
 * 4. The bundled hospital study (examples/hospitals/study.yaml) over three
 *    hospitals' Parquet files at `--hospital-rows` (default 1M) and
 *    `--hospital-pushdown-rows` (default 10M), every analysis pushed down to
 *    the parties' DuckDB (the Welch t-test from exact per-group sums), then
 *    the t-test alone, then a linear regression of recovery time on age and
 *    arm alone (from exact cross sums of the engine's grouped rows): wall
 *    time, each party's peak memory, and time, rounds and bytes per analysis.
 *    `--hospital-loaded-rows R` (default 1M; 0 skips): the same regression
 *    with every row loaded into JavaScript (ENTENTE_PUSHDOWN=0), each party
 *    summing its own rows.
 *
 * Not here yet (issue 18): quantiles of 3 x 1M secret values with shards.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
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

/** Hospital-like rows from DuckDB's hash of the row number (fast at 10^8 rows). */
function hospitalSql(rows: number, h: number): string {
  const u = (k: number) => `(hash(i, ${h}, ${k}) % 1000000) / 1000000.0`;
  return `SELECT
    CAST(18 + floor(${u(1)} * 78) AS INTEGER) AS age,
    CASE WHEN ${u(2)} < 0.52 THEN 'F' ELSE 'M' END AS sex,
    CASE WHEN ${u(3)} < 0.5 THEN 'A' ELSE 'B' END AS arm,
    ${u(4)} < 0.6 AS recovered,
    CASE WHEN ${u(4)} < 0.6 THEN CAST(1 + floor(${u(5)} * 60) AS INTEGER) END AS recovery_days,
    CAST(1 + floor(${u(6)} * 365) AS INTEGER) AS survival_days,
    ${u(7)} < 0.3 AS death
  FROM range(${rows}) r(i)`;
}

const COUNTING_STUDY = (rows: number) => `study: counting analyses at ${rows} rows per hospital
suite: rep3
parties:
  - { id: hospital-a, data: hospital-a.parquet }
  - { id: hospital-b, data: hospital-b.parquet }
  - { id: hospital-c, data: hospital-c.parquet }
schema:
  columns:
    - { name: age, type: integer, min: 18, max: 95 }
    - { name: sex, type: categorical, levels: [F, M] }
    - { name: arm, type: categorical, levels: [A, B] }
    - { name: recovered, type: boolean }
    - { name: recovery_days, type: integer, min: 1, max: 60, missing: allow }
    - { name: survival_days, type: integer, min: 1, max: 365 }
    - { name: death, type: boolean }
privacy: { minCellSize: 10 }
analyses:
  - { id: patients, type: count, by: arm }
  - { id: recovery-rate, type: rate, column: recovered, by: arm }
  - { id: recovery-time, type: mean, column: recovery_days, by: arm }
  - { id: follow-up, type: sum, column: survival_days, by: sex }
  - { id: sex-arm, type: crosstab, rows: sex, cols: arm }
  - { id: ages, type: histogram, column: age, edges: [18, 40, 60, 80, 95] }
  - { id: old-deaths, type: count, by: arm, where: [{ column: age, ge: 80 }, { column: death, eq: true }] }
`;

async function countingStudy(rows: number): Promise<void> {
  const dir = join(tmpdir(), `entente-scale-study-${rows}`);
  await mkdir(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (const [h, id] of ['hospital-a', 'hospital-b', 'hospital-c'].entries()) {
    const f = join(dir, `${id}.parquet`);
    if (await exists(f)) continue;
    const t = await timed(() => c.run(`COPY (${hospitalSql(rows, h)}) TO '${f}' (FORMAT parquet)`));
    console.log(`  generated ${f} in ${t.s.toFixed(1)} s`);
  }
  c.closeSync();
  db.closeSync();
  await writeFile(join(dir, 'study.yaml'), COUNTING_STUDY(rows));
  console.log(
    `\ncounting study, 3 hospitals x ${rows.toLocaleString('en')} rows in Parquet, three processes over loopback TLS, pushdown to DuckDB`,
  );
  const t = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      '--import',
      'tsx',
      'src/cli/bin.ts',
      'study',
      join(dir, 'study.yaml'),
      '--out',
      join(dir, 'report'),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) {
    console.log(r.stdout.slice(-2000), r.stderr.slice(-2000));
    throw new Error(`entente study exited with ${r.status}`);
  }
  const peakKiB = Number(r.stderr.trim().split('\n').at(-1));
  const sent = /Total ([\d.]+ s), ([\d.]+ \w+) sent/.exec(r.stdout);
  console.log(
    `  wall ${wall.toFixed(1)} s (launch, checks, aggregation and MPC); largest process peak RSS ${mib(peakKiB * 1024)}${sent ? `; the study's own report: ${sent[1]}, ${sent[2]} sent by a party` : ''}`,
  );
}

/** A linear regression of recovery time on age and arm, appended to the bundled study. */
const LINEAR_MODEL = `  - id: recovery-model
    title: Linear regression of recovery time on age and arm
    type: linear-regression
    outcome: recovery_days
    predictors: [age, arm]
`;

/** The ids of the bundled study's analyses (the `- id:` lines after `analyses:`). */
const bundledIds = (yaml: string): string[] =>
  [...yaml.slice(yaml.indexOf('\nanalyses:')).matchAll(/^ {2}- id: ([\w-]+)$/gm)].map((m) => m[1]!);

/**
 * The bundled hospital study (examples/hospitals/study.yaml) over three
 * hospitals' Parquet files of `rows` rows each, by `entente study` as three
 * processes over loopback TLS. `ids` selects analyses (all when undefined).
 * Prints wall time, each party's peak memory and the bytes a party sent.
 */
async function hospitalStudy(
  rows: number,
  label: string,
  ids?: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const dir = join(tmpdir(), `entente-scale-hospital-${rows}`);
  await mkdir(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (const [h, id] of ['hospital-a', 'hospital-b', 'hospital-c'].entries()) {
    const f = join(dir, `${id}.parquet`);
    if (await exists(f)) continue;
    const t = await timed(() => c.run(`COPY (${hospitalSql(rows, h)}) TO '${f}' (FORMAT parquet)`));
    console.log(`  generated ${f} in ${t.s.toFixed(1)} s`);
  }
  c.closeSync();
  db.closeSync();
  // The bundled study as it is, its data files replaced by the Parquet ones.
  const bundled = await readFile(join('examples', 'hospitals', 'study.yaml'), 'utf8');
  // Plus a linear regression (not in the bundled study), run only when `ids` names it.
  await writeFile(
    join(dir, 'study.yaml'),
    bundled.replace(/data: data\/(hospital-[abc])\.csv/g, 'data: $1.parquet') + LINEAR_MODEL,
  );
  console.log(
    `\nhospital study (${label}), 3 hospitals x ${rows.toLocaleString('en')} rows in Parquet, three processes over loopback TLS`,
  );
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/bin.ts',
      'study',
      join(dir, 'study.yaml'),
      '--out',
      join(dir, 'report'),
      ...['--analyses', (ids ?? bundledIds(bundled)).join(',')],
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } },
  );
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) {
    console.log(r.stdout.slice(-2000), r.stderr.slice(-4000));
    throw new Error(`entente study exited with ${r.status}`);
  }
  const peaks = [...r.stderr.matchAll(/\[(hospital-\w)\] peak memory (\d+) MiB/g)].map(
    (m) => `${m[1]} ${m[2]} MiB`,
  );
  const sent = /Total ([\d.]+ s), ([\d.]+ \w+) sent/.exec(r.stdout);
  console.log(
    `  wall ${wall.toFixed(1)} s (launch, checks, loading or aggregation, MPC); peak memory per party: ${peaks.join(', ')}${sent ? `; the study's own report: ${sent[1]}, ${sent[2]} sent by a party` : ''}`,
  );
  // Per analysis, from the report: where the time went.
  const report = JSON.parse(await readFile(join(dir, 'report', 'report.json'), 'utf8')) as {
    analyses: { id: string; type: string; seconds: number; rounds: number; bytesSent: number }[];
  };
  for (const a of report.analyses)
    console.log(
      `    ${`${a.id} (${a.type})`.padEnd(40)} ${a.seconds.toFixed(2).padStart(7)} s ${String(a.rounds).padStart(6)} rounds ${(a.bytesSent / 2 ** 20).toFixed(1).padStart(8)} MiB`,
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
  const rows = option(args, 'rows', 1_000_000);
  if (rows > 0) await loading(rows);
  const trips = option(args, 'trips', 10_000_000);
  if (trips > 0) await mobility(trips, option(args, 'zones', 100));
  const studyRows = option(args, 'study-rows', 10_000_000);
  if (studyRows > 0) await countingStudy(studyRows);
  // Every analysis of the bundled study is pushed down (the t-test from exact per-group
  // sums), so every party's engine computes its aggregates; then the t-test alone.
  for (const n of [
    option(args, 'hospital-rows', 1_000_000),
    option(args, 'hospital-pushdown-rows', 10_000_000),
  ])
    if (n > 0) {
      await hospitalStudy(n, 'every analysis, pushed down');
      await hospitalStudy(n, 'the t-test alone, pushed down', ['recovery-t-test']);
      await hospitalStudy(n, 'a linear regression alone, pushed down', ['recovery-model']);
    }
  // The same linear regression with every row loaded into JavaScript (ENTENTE_PUSHDOWN=0):
  // each party sums its own rows, so only the loading grows with the rows.
  for (const n of [option(args, 'hospital-loaded-rows', 1_000_000)])
    if (n > 0)
      await hospitalStudy(n, 'a linear regression alone, rows loaded', ['recovery-model'], {
        ENTENTE_PUSHDOWN: '0',
      });
}
