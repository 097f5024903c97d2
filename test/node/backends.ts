/**
 * The two storage backends the node's tests run against: embedded PGlite (in
 * memory) and a PostgreSQL server named by ENTENTE_TEST_PG_URL (`.ci/run`
 * starts the machine's server and sets it). Each opened store is a fresh
 * database. In CI a missing server fails the PostgreSQL half instead of
 * skipping it; on a developer's machine without one, that half is skipped
 * with a note.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/node/store/store.js';

export interface Backend {
  readonly name: 'pglite' | 'postgres';
  /** A fresh, migrated database; close() drops it. */
  open(): Promise<Store>;
  /** A URL or folder that a node process can be given (`--database`), fresh each call. */
  location(dir: string): Promise<{ database: string | undefined; drop(): Promise<void> }>;
}

const PG_URL = process.env.ENTENTE_TEST_PG_URL;
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

if (!PG_URL && !IN_CI)
  process.stderr.write(
    'note: ENTENTE_TEST_PG_URL is not set; the PostgreSQL half of the node tests is skipped (.ci/run sets it)\n',
  );

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  if (!PG_URL)
    throw new Error(
      'ENTENTE_TEST_PG_URL is not set: CI must run the PostgreSQL half of the storage tests (.ci/postgres starts the server)',
    );
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** A fresh database on the test server, dropped by drop(). */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `entente_test_${randomBytes(6).toString('hex')}`;
  // The name is ours (hex), never user input; identifiers cannot be bound parameters.
  await admin((c) => c.query(`create database ${name}`));
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: () =>
      admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

const pglite: Backend = {
  name: 'pglite',
  open: () => openStore({ kind: 'pglite', dir: undefined }),
  location: async () => ({ database: undefined, drop: async () => undefined }),
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const db = await freshDatabase();
    const store = await openStore({ kind: 'postgres', url: db.url });
    return {
      ...store,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  async location() {
    const db = await freshDatabase();
    return { database: db.url, drop: db.drop };
  },
};

/** The backends to run; PostgreSQL only when a server is configured or we are in CI. */
export const BACKENDS: readonly Backend[] = PG_URL || IN_CI ? [pglite, postgres] : [pglite];
