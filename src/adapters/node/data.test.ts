import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../analytics/data/errors.js';
import { parseSchema } from '../../analytics/data/schema.js';
import { loadTable } from './data.js';

describe('loadTable with an expected hash', () => {
  let dir: string;
  let file: string;
  const text = 'age,sex\n30,F\n41,M\n';
  const schema = parseSchema({
    columns: [
      { name: 'age', type: 'integer', min: 0, max: 120 },
      { name: 'sex', type: 'categorical', levels: ['F', 'M'] },
    ],
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entente-data-'));
    file = join(dir, 'p.csv');
    await writeFile(file, text);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the file when its bytes have the hash, refuses it otherwise', async () => {
    const good = createHash('sha256').update(text).digest('hex');
    expect((await loadTable(file, schema, 'csv', good)).rows).toBe(2);
    await expect(loadTable(file, schema, 'csv', '0'.repeat(64))).rejects.toThrow(DataError);
    await expect(loadTable(file, schema, 'csv', '0'.repeat(64))).rejects.toThrow(
      /the file changed/,
    );
    expect((await loadTable(file, schema, 'csv')).rows).toBe(2);
  });
});
