/**
 * A Kysely dialect for PGlite (PostgreSQL compiled to WebAssembly, embedded in
 * this process). PGlite is one connection, so the driver hands it to one user
 * at a time: a transaction holds it from BEGIN to COMMIT and every other query
 * waits its turn. SQL, adapter and introspection are Kysely's PostgreSQL ones,
 * which is what makes the embedded default and a PostgreSQL server run the
 * same queries.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const r = await this.pg.query<R>(query.sql, query.parameters as unknown[]);
    const affected = r.affectedRows;
    return affected !== undefined && r.fields.length === 0
      ? { rows: r.rows, numAffectedRows: BigInt(affected) }
      : { rows: r.rows };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('pglite: streaming queries are not supported');
  }
}

/** One connection, lent to one holder at a time, in the order asked. */
class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection;
  private tail: Promise<void> = Promise.resolve();
  private readonly releases = new Map<PgliteConnection, () => void>();

  constructor(private readonly pg: PGlite) {
    this.connection = new PgliteConnection(pg);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    this.releases.set(this.connection, release);
    return this.connection;
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.releases.get(this.connection);
    this.releases.delete(this.connection);
    release?.();
  }

  async destroy(): Promise<void> {
    await this.tail;
    await this.pg.close();
  }
}

/** Kysely over an open PGlite database; destroying the Kysely instance closes it. */
export class PgliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteDriver(this.pg);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}
