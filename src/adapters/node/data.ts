/**
 * Node adapter of the analytics layer: reads study and data files and hands
 * their text to the core parsers (src/analytics). Text must be UTF-8; a file
 * that is not is refused, never decoded with replacement characters.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import { DataError, SpecError } from '../../analytics/data/errors.js';
import type { Schema } from '../../analytics/data/schema.js';
import { formatOf, parseTable, type DataFormat, type Table } from '../../analytics/data/table.js';
import { nearest } from '../../analytics/data/reader.js';
import { parseStudyFile, type Locate } from '../../analytics/study/parse.js';
import type { PartyQuery, Study, ValidateOptions } from '../../analytics/study/spec.js';
import { sideSchema } from '../../analytics/study/join-spec.js';
import { pushedDownTable } from './pushdown.js';
import { readWithDuckDb } from './sources/duckdb.js';
import { readWithPostgres } from './sources/postgres.js';

/** A file's text, strictly UTF-8. @throws {Error} naming the file when it cannot be read or decoded. */
export async function readText(file: string, kind: 'data' | 'study'): Promise<string> {
  return decodeText(await readBytes(file, kind), file, kind);
}

/** Why a file cannot be read, in words: `no such file`, `permission denied`, ... */
function whyUnreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'a folder, not a file'
        : code;
}

async function readBytes(file: string, kind: 'data' | 'study', shown = file): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const why = whyUnreadable(e);
    if (kind === 'data')
      throw new DataError([{ file: shown, line: 1, reason: `cannot read the file (${why})` }]);
    throw new SpecError(file, [{ path: '(file)', message: `cannot read the file (${why})` }]);
  }
}

function decodeText(bytes: Uint8Array, file: string, kind: 'data' | 'study'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the line of the first invalid byte without decoding the rest.
    let line = 1;
    const dec = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 10) {
        try {
          dec.decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    const reason = 'not valid UTF-8 text (save the file as UTF-8)';
    if (kind === 'data') throw new DataError([{ file, line, reason }]);
    throw new SpecError(file, [{ path: '(file)', message: reason, line, col: 1 }]);
  }
}

/**
 * Loads one party's table from a CSV, JSON lines or Parquet file (a Parquet
 * folder too, without `sha256`). With `sha256` (hex), the bytes read must
 * have that hash: what is computed on is exactly the version someone
 * approved, even if the file changes after it was checked.
 * @throws {DataError} naming file, line (or row), column and reason.
 */
export async function loadTable(
  file: string,
  schema: Schema,
  format?: DataFormat,
  sha256?: string,
  /** The file's name in messages (default: `file`), e.g. as the study wrote it. */
  shown = file,
): Promise<Table> {
  if ((format ?? formatOf(file)) === 'parquet') return loadParquet(file, schema, sha256, shown);
  const bytes = await readBytes(file, 'data', shown);
  if (sha256 !== undefined) checkHash(bytes, sha256, shown);
  return parseTable(decodeText(bytes, shown, 'data'), schema, shown, format);
}

function checkHash(bytes: Uint8Array, sha256: string, shown: string): void {
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256)
    throw new DataError([
      {
        file: shown,
        line: 1,
        reason: `the file changed (SHA-256 ${got.slice(0, 12)}..., expected ${sha256.slice(0, 12)}...)`,
      },
    ]);
}

/**
 * A Parquet file or folder (every `*.parquet` below it), read by DuckDB. With
 * `sha256` the file is hashed before and after DuckDB reads it, so a file
 * replaced in between is refused rather than computed on.
 */
async function loadParquet(
  file: string,
  schema: Schema,
  sha256: string | undefined,
  shown: string,
): Promise<Table> {
  const st = await stat(file).catch((e: unknown) => {
    throw new DataError([{ file: shown, line: 1, reason: `cannot read (${whyUnreadable(e)})` }]);
  });
  if (st.isDirectory() && sha256 !== undefined)
    throw new DataError([
      {
        file: shown,
        line: 1,
        reason: 'an approved dataset must be one Parquet file, not a folder',
      },
    ]);
  if (sha256 !== undefined) checkHash(await readBytes(file, 'data', shown), sha256, shown);
  const path = st.isDirectory() ? `${file}/**/*.parquet` : file;
  const table = await readWithDuckDb({ kind: 'parquet', path }, schema, {
    dir: dirname(file),
    shown,
  });
  if (sha256 !== undefined) checkHash(await readBytes(file, 'data', shown), sha256, shown);
  return table;
}

/** How messages name a party's query. */
export function queryName(q: PartyQuery): string {
  return q.engine === 'postgres' ? `query (postgres, $${q.connection})` : 'query (duckdb)';
}

function queryUrl(q: PartyQuery, env: NodeJS.ProcessEnv): string {
  const url = env[q.connection!];
  if (url === undefined || url === '')
    throw new DataError([
      {
        file: queryName(q),
        line: 0,
        unit: 'row',
        reason: `the environment variable ${q.connection} is not set: set it to the connection URL (postgres://user:password@host:port/database)`,
      },
    ]);
  return url;
}

const cleanSql = (sql: string) => sql.trim().replace(/;+\s*$/, '');

/** A party's table from its SQL query, every row loaded. @throws {DataError} */
export async function loadQuery(
  q: PartyQuery,
  schema: Schema,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Table> {
  const shown = queryName(q);
  const sql = cleanSql(q.sql);
  if (q.engine === 'duckdb') return readWithDuckDb({ kind: 'query', sql }, schema, { dir, shown });
  return readWithPostgres(sql, schema, { url: queryUrl(q, env), shown });
}

/**
 * Whether SQL sources compute the study's local aggregates themselves
 * (pushdown); `ENTENTE_PUSHDOWN=0` loads the rows instead (for comparisons).
 */
const pushdownByDefault = (env: NodeJS.ProcessEnv) => env.ENTENTE_PUSHDOWN !== '0';

/** A study file, validated, with its folder (data paths are relative to it). */
export interface LoadedStudy {
  readonly study: Study;
  readonly file: string;
  readonly dir: string;
  /** Where a field is in the study file, for problems found after validation. */
  readonly locate?: Locate;
}

/** Loads and validates a study file (YAML or JSON). @throws {SpecError} naming each bad field. */
export async function loadStudy(file: string, opts: ValidateOptions = {}): Promise<LoadedStudy> {
  const { study, locate } = parseStudyFile(await readText(file, 'study'), file, opts);
  return { study, file, dir: dirname(resolve(file)), locate };
}

/** The path of a party's dataset: its `data` field, relative to the study file. */
export function dataPath(loaded: LoadedStudy, party: string): string | undefined {
  const p = loaded.study.parties.find((x) => x.id === party);
  return p?.data === undefined ? undefined : resolve(loaded.dir, p.data);
}

/** A data file named on the command line (not by the study) that cannot be read. */
export class UnreadableDataFile extends Error {
  override readonly name = 'UnreadableDataFile';
}

export interface LoadOptions {
  /**
   * Check the data only: a source whose engine computes the study's
   * aggregates (pushdown) runs its schema checks and returns the row count
   * without any aggregate (a table no study can run on); other sources are
   * read whole, which is their check. For launchers that check every
   * party's data before starting the parties, so the work is not done twice.
   */
  readonly checkOnly?: boolean;
}

/**
 * Loads one party's dataset: the study's `parties[i].data` (relative to the
 * study file), or `override`, a file named on the command line by `flag`.
 * Undefined for a party that brings no data. Problems name the file as the
 * study (or the command line) wrote it.
 * @throws {SpecError} at `parties[i].data`, with its line and column, when the
 *   study names a file that cannot be read (with the file it most likely meant).
 * @throws {UnreadableDataFile} when `override` cannot be read.
 * @throws {DataError} naming file, line and column, for what the file holds.
 */
export async function loadPartyData(
  loaded: LoadedStudy,
  party: string,
  override?: { file: string; flag: string },
  sha256?: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadOptions = {},
): Promise<Table | undefined> {
  const checkOnly = opts.checkOnly ?? false;
  const i = loaded.study.parties.findIndex((x) => x.id === party);
  const p = loaded.study.parties[i];
  // In a joined study each side's table has the key and its own columns only.
  const schema = loaded.study.join
    ? sideSchema(loaded.study.schema, loaded.study.join, party)
    : loaded.study.schema;
  const pushdown = pushdownByDefault(env) && !loaded.study.join;
  if (p?.query !== undefined && !override) {
    if (pushdown) {
      const q = p.query;
      const sql = cleanSql(q.sql);
      const pushed = await pushedDownTable(
        loaded.study,
        q.engine === 'duckdb'
          ? { engine: 'duckdb', sql, dir: loaded.dir }
          : { engine: 'postgres', sql, url: queryUrl(q, env) },
        queryName(q),
        checkOnly,
      );
      if (!('why' in pushed)) return pushed;
    }
    return loadQuery(p.query, schema, loaded.dir, env);
  }
  if (!p || (p.data === undefined && !override)) return undefined;
  const written = p.data ?? override!.file;
  const file = override ? resolve(override.file) : resolve(loaded.dir, written);
  const format = p.format ?? formatOf(file);
  const why = await stat(file).then(
    (st) =>
      st.isFile() || (format === 'parquet' && st.isDirectory())
        ? undefined
        : 'a folder, not a file',
    whyUnreadable,
  );
  if (why !== undefined) {
    if (override)
      throw new UnreadableDataFile(
        `${override.flag}: cannot read ${override.file} for party ${party} (${why})`,
      );
    const path = `parties[${i}].data`;
    let message = `cannot read '${written}' (${why})`;
    if (why === 'no such file') {
      const meant = await nearbyFile(loaded, written);
      message = `no such file '${written}' ${meant ? `(did you mean '${meant}'?)` : `(looked in ${dirname(file)}; paths are relative to the study file)`}`;
    }
    throw new SpecError(loaded.file, [{ path, message, ...loaded.locate?.(path) }]);
  }
  const shown = override?.file ?? written;
  if (format === 'parquet' && pushdown && !loaded.study.join) {
    const pushed = await pushedDownParquet(loaded, file, sha256, shown, checkOnly);
    if (!('why' in pushed)) return pushed;
  }
  return loadTable(file, schema, format, sha256, shown);
}

/** A Parquet file or folder's local aggregates, by DuckDB; an approved file is hashed before and after. */
async function pushedDownParquet(
  loaded: LoadedStudy,
  file: string,
  sha256: string | undefined,
  shown: string,
  checkOnly: boolean,
): Promise<Table | { why: string }> {
  const folder = (await stat(file)).isDirectory();
  if (folder && sha256 !== undefined) return { why: 'an approved dataset is one file' };
  if (sha256 !== undefined) checkHash(await readBytes(file, 'data', shown), sha256, shown);
  const pushed = await pushedDownTable(
    loaded.study,
    { engine: 'duckdb', parquet: folder ? `${file}/**/*.parquet` : file, dir: loaded.dir },
    shown,
    checkOnly,
  );
  if (sha256 !== undefined) checkHash(await readBytes(file, 'data', shown), sha256, shown);
  return pushed;
}

/**
 * The file a study most likely meant by a data path that does not exist: one
 * of the same kind, in the folder named, that no other party uses, with a
 * name close to the one written (as the study would write it).
 */
async function nearbyFile(loaded: LoadedStudy, written: string): Promise<string | undefined> {
  const folder = resolve(loaded.dir, written, '..');
  const used = new Set(
    loaded.study.parties.flatMap((q) =>
      q.data === undefined ? [] : [resolve(loaded.dir, q.data)],
    ),
  );
  const names = await readdir(folder, { withFileTypes: true }).then(
    (es) =>
      es
        .filter((e) => e.isFile() && /\.(csv|jsonl|ndjson|parquet)$/i.test(e.name))
        .map((e) => e.name)
        .filter((n) => !used.has(resolve(folder, n))),
    () => [],
  );
  const meant = nearest(basename(written), names);
  return meant === undefined ? undefined : posix.join(posix.dirname(written), meant);
}
