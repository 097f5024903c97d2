/**
 * Opens the node's database: PGlite under the node's folder by default (no
 * server to run), or a PostgreSQL server by URL, through the same Kysely
 * queries, and migrates it to the current schema.
 */
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PgliteDialect } from './pglite-dialect.js';
import { migrate } from './migrations.js';
import type { NodeDb, Schema } from './schema.js';

export type StoreLocation =
  | { readonly kind: 'pglite'; readonly dir: string | undefined }
  | { readonly kind: 'postgres'; readonly url: string };

export interface Store {
  readonly db: NodeDb;
  readonly backend: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** The database cannot be opened or reached: names the location, never a password. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** A PostgreSQL URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

/**
 * Opens and migrates. `dir: undefined` keeps a PGlite database in memory (tests).
 * @throws {StoreError} when the database cannot be opened; {SchemaTooNewError} from migrate().
 */
export async function openStore(where: StoreLocation): Promise<Store> {
  let db: NodeDb;
  if (where.kind === 'pglite') {
    let lite: PGlite;
    try {
      lite = await PGlite.create(where.dir);
    } catch (e) {
      throw new StoreError(
        `cannot open the embedded database at ${where.dir ?? '(memory)'}: ${(e as Error).message}`,
      );
    }
    db = new Kysely<Schema>({ dialect: new PgliteDialect(lite) });
  } else {
    const pool = new pg.Pool({
      connectionString: where.url,
      max: 8,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its server must not crash the node.
    pool.on('error', (e) => process.stderr.write(`database: ${e.message}\n`));
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new StoreError(
        `cannot reach PostgreSQL at ${redactUrl(where.url)}: ${(e as Error).message}`,
      );
    }
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    await migrate(db as unknown as Kysely<unknown>);
  } catch (e) {
    await db.destroy().catch(() => undefined);
    throw e;
  }
  return { db, backend: where.kind, close: () => db.destroy() };
}
