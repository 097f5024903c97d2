/**
 * A node's dataset may be a Parquet file (migration 2 widened the format
 * check): registered with its hash and row count on both storage backends,
 * checked unchanged before use; a Parquet folder is refused, since an
 * approval names one file's hash.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedDataset, DatasetError, registerDataset } from '../../src/node/datasets.js';
import { BACKENDS } from './backends.js';

const schema = {
  columns: [
    { name: 'age', type: 'integer', min: 0, max: 120 },
    { name: 'sex', type: 'categorical', levels: ['F', 'M'] },
  ],
};

describe.each(BACKENDS)('Parquet datasets at a node ($name)', (backend) => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-pq-node-'));
    file = join(dir, 'patients.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT (i % 100)::INTEGER AS age, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex FROM range(250) t(i)) TO '${file}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers a Parquet file with its rows and hash, and notices a change', async () => {
    const store = await backend.open();
    try {
      const d = await registerDataset(store.db, {
        name: 'patients',
        path: file,
        schema,
        budget: { epsilon: 1, delta: 0 },
        by: 'owner',
      });
      expect(d).toMatchObject({ format: 'parquet', rows: 250 });
      expect(d.content_hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await checkedDataset(store.db, 'patients')).rows).toBe(250);
      const folder = join(dir, 'parts');
      await mkdir(folder, { recursive: true });
      await expect(
        registerDataset(store.db, {
          name: 'parts',
          path: folder,
          schema,
          format: 'parquet',
          budget: { epsilon: 1, delta: 0 },
          by: 'owner',
        }),
      ).rejects.toThrow(/a folder; a node's dataset is one file/);
      const bad = join(dir, 'bad.parquet');
      await writeFile(bad, 'not parquet at all');
      await expect(
        registerDataset(store.db, {
          name: 'bad',
          path: bad,
          schema,
          budget: { epsilon: 1, delta: 0 },
          by: 'owner',
        }),
      ).rejects.toThrow(DatasetError);
      // Replaced after registration: refused before use.
      const copy = join(dir, 'copy.parquet');
      await copyFile(file, copy);
      await registerDataset(store.db, {
        name: 'copy',
        path: copy,
        schema,
        budget: { epsilon: 1, delta: 0 },
        by: 'owner',
      });
      await writeFile(copy, 'replaced');
      await expect(checkedDataset(store.db, 'copy')).rejects.toThrow(
        /changed since it was registered/,
      );
    } finally {
      await store.close();
    }
  });
});
