/**
 * Datasets a node's owner registers: a file at the node (CSV or JSON lines),
 * its schema, and the SHA-256 of its bytes. Data never leaves the node; only
 * the name, schema, row count and hash are shown to others. An approval binds
 * to the hash, and a run refuses a file that changed since it was registered.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadTable } from '../adapters/node/data.js';
import { canonicalJson } from '../adapters/node/net/federation.js';
import { DataError, SpecError } from '../analytics/data/errors.js';
import { parseSchema, type Schema } from '../analytics/data/schema.js';
import { formatOf, type DataFormat, type Table } from '../analytics/data/table.js';
import type { Dataset, NodeDb } from './store/schema.js';

export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A dataset that cannot be registered or used: a 4xx with the reason (file, line, column). */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

export interface RegisterOptions {
  readonly name: string;
  readonly path: string;
  /** The schema: `{ columns: [...] }`, or a study whose `schema` is used. */
  readonly schema: unknown;
  readonly format?: DataFormat;
  /** The owner's total privacy budget for this dataset, over all runs. */
  readonly budget: { readonly epsilon: number; readonly delta: number };
  readonly maxEpsilonPerRun?: number | null;
  readonly minCellSize?: number | null;
  readonly by: string;
}

/** Reads a schema file: YAML or JSON, either a schema or a study holding one. */
export async function readSchemaFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(
      `${file}: cannot read the schema (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new DatasetError(`${file}: not YAML or JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

function toSchema(raw: unknown, source: string): Schema {
  const o = raw as Record<string, unknown> | null;
  const inner = o && typeof o === 'object' && 'schema' in o && !('columns' in o) ? o.schema : raw;
  try {
    return parseSchema(inner, source);
  } catch (e) {
    if (e instanceof SpecError) throw new DatasetError(e.message);
    throw e;
  }
}

export async function fileHash(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** The schema as stored and compared: canonical JSON. */
export const schemaText = (schema: Schema): string => canonicalJson(schema);

/**
 * Validates the file against the schema (every row, with the loaders a study
 * uses) and records it with its hash and budget. Re-registering a name
 * replaces its file and schema and keeps its budget and what was spent.
 * @throws {DatasetError} for a bad name, schema or file (naming file, line, column).
 */
export async function registerDataset(db: NodeDb, o: RegisterOptions): Promise<Dataset> {
  if (!DATASET_NAME.test(o.name))
    throw new DatasetError(`name: expected letters, digits and _.- (1..64), got '${o.name}'`);
  for (const [k, v] of [
    ['budget.epsilon', o.budget.epsilon],
    ['budget.delta', o.budget.delta],
  ] as const)
    if (!Number.isFinite(v) || v < 0)
      throw new DatasetError(`${k}: expected a number >= 0, got ${v}`);
  if (o.budget.delta > 1)
    throw new DatasetError(`budget.delta: expected at most 1, got ${o.budget.delta}`);
  const path = resolve(o.path);
  const schema = toSchema(o.schema, 'schema');
  const format = o.format ?? formatOf(path);
  if (format === undefined)
    throw new DatasetError(
      `${path}: name the format (csv, jsonl or parquet); the file name does not say`,
    );
  const kind = await stat(path).then(
    (st) => (st.isDirectory() ? 'folder' : 'file'),
    () => 'missing',
  );
  if (kind === 'folder')
    throw new DatasetError(
      `${path}: a folder; a node's dataset is one file (its hash is what runs are approved on): merge a Parquet folder into one file first`,
    );
  // Hash first, then load with that hash: the rows counted are the bytes hashed.
  const hash = kind === 'file' ? await fileHash(path) : undefined;
  let table: Table;
  try {
    table = await loadTable(path, schema, format, hash);
  } catch (e) {
    if (e instanceof DataError) throw new DatasetError(e.message);
    throw e;
  }
  const row: Dataset = {
    name: o.name,
    path,
    format,
    schema_json: schemaText(schema),
    content_hash: hash!,
    rows: table.rows,
    registered_at: new Date().toISOString(),
    registered_by: o.by,
    max_epsilon_per_run: o.maxEpsilonPerRun ?? null,
    min_cell_size: o.minCellSize ?? null,
  };
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('datasets')
      .values(row)
      .onConflict((c) => c.column('name').doUpdateSet(row))
      .execute();
    await tx
      .insertInto('budgets')
      .values({
        dataset: o.name,
        epsilon_total: o.budget.epsilon,
        delta_total: o.budget.delta,
        epsilon_spent: 0,
        delta_spent: 0,
        epsilon_reserved: 0,
        delta_reserved: 0,
      })
      .onConflict((c) =>
        c
          .column('dataset')
          .doUpdateSet({ epsilon_total: o.budget.epsilon, delta_total: o.budget.delta }),
      )
      .execute();
  });
  return row;
}

/**
 * The dataset, checked unchanged on disk.
 * @throws {DatasetError} when it is unknown, unreadable or changed since registration.
 */
export async function checkedDataset(db: NodeDb, name: string): Promise<Dataset> {
  const d = await db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
  if (!d) throw new DatasetError(`dataset '${name}' is not registered at this node`);
  let now: string;
  try {
    now = await fileHash(d.path);
  } catch (e) {
    throw new DatasetError(
      `dataset '${name}': cannot read ${d.path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (now !== d.content_hash)
    throw new DatasetError(
      `dataset '${name}': ${d.path} changed since it was registered (SHA-256 ${d.content_hash.slice(0, 12)}... then, ${now.slice(0, 12)}... now); the owner must register it again`,
    );
  return d;
}
