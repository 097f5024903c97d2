import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { psiCommand, readPsiInput } from './psi.js';

let dir = '';
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-psi-cli-'));
  await writeFile(file('a.csv'), 'name,id\nx,bob\ny,cy\nz,dee\nw,bob\n');
  await writeFile(file('b.csv'), 'id,amount\nann,5\nbob,7\ncy,9\n');
  await writeFile(file('dup.csv'), 'id,amount\nann,5\nbob,7\nann,1\n');
  await writeFile(file('bad.csv'), 'id,amount\nann,5\nbob,seven\n');
  await writeFile(file('empty.csv'), 'id\n');
  await writeFile(file('hole.csv'), 'id\nann\n\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('entente psi: inputs', () => {
  it('reads the key column, keeps duplicates for the protocol to remove, and values when asked', async () => {
    expect((await readPsiInput(file('a.csv'), 'id', undefined, 32)).keys).toEqual([
      'bob',
      'cy',
      'dee',
      'bob',
    ]);
    const b = await readPsiInput(file('b.csv'), 'id', 'amount', 8);
    expect(b.values).toEqual([5n, 7n, 9n]);
    expect((await readPsiInput(file('empty.csv'), 'id', undefined, 32)).keys).toEqual([]);
  });

  it('names the file, line and column of bad input', async () => {
    await expect(readPsiInput(file('a.csv'), 'key', undefined, 32)).rejects.toThrow(
      /a.csv: no column 'key' \(columns: name, id\)/,
    );
    await expect(readPsiInput(file('dup.csv'), 'id', 'amount', 32)).rejects.toThrow(
      /dup.csv, line 4: key 'id' repeats line 2; a sum needs one value per key/,
    );
    await expect(readPsiInput(file('bad.csv'), 'id', 'amount', 32)).rejects.toThrow(
      /bad.csv, line 3: 'amount' must be an integer in int\(32\), got 'seven'/,
    );
    await expect(readPsiInput(file('b.csv'), 'id', 'amount', 4)).rejects.toThrow(
      /line 4: 'amount' must be an integer in int\(4\), got '9'/,
    );
    await expect(readPsiInput(file('hole.csv'), 'id', undefined, 32)).rejects.toThrow(
      /hole.csv, line 3: empty key/,
    );
  });

  it('refuses option combinations the protocols cannot give', async () => {
    const run = (flags: Record<string, string>) =>
      psiCommand([file('a.csv'), file('b.csv')], new Map(Object.entries(flags)));
    await expect(run({ column: 'id', epsilon: '1' })).rejects.toThrow(
      /--epsilon applies to --output sum only/,
    );
    await expect(run({ column: 'id', output: 'sum' })).rejects.toThrow(
      /--values names the column to sum/,
    );
    await expect(run({})).rejects.toThrow(/--column names the key column/);
  });

  it('runs both parties in process: the intersection of the key columns', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await psiCommand(
        [file('a.csv'), file('b.csv')],
        new Map([
          ['column', 'id'],
          ['to', 'both'],
          ['out', file('shared.txt')],
        ]),
      );
      expect(code).toBe(0);
      expect(await readFile(file('shared.txt.p1'), 'utf8')).toBe('bob\ncy\n');
      expect(await readFile(file('shared.txt.p2'), 'utf8')).toBe('bob\ncy\n');
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines[0]).toMatch(/^p1: \{"size":3,"peerSize":3,"shared":2,/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }, 60_000);

  it('over ot, cardinality and sum are computed on shares (src/psi/otsum.ts)', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const run = (flags: Record<string, string>) =>
        psiCommand([file('a.csv'), file('b.csv')], new Map(Object.entries(flags)));
      expect(await run({ column: 'id', protocol: 'ot', output: 'cardinality' })).toBe(0);
      expect(await run({ column: 'id', protocol: 'ot', output: 'sum', values: 'amount' })).toBe(0);
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines[0]).toBe('p1: {"size":3,"shared":2}');
      expect(lines[1]).toBe('p2: {"size":3}');
      expect(lines[2]).toMatch(/^p1: \{"sum":"?16"?,/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }, 60_000);

  it('threshold mode: the keys at >= T of n files, each party its own', async () => {
    await writeFile(file('c.csv'), 'id\ncy\ndee\neve\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const files = [file('a.csv'), file('b.csv'), file('c.csv')];
      // a: bob cy dee (bob twice); b: ann bob cy; c: cy dee eve. At >= 2: bob, cy, dee.
      expect(
        await psiCommand(
          files,
          new Map([
            ['column', 'id'],
            ['threshold', '2'],
          ]),
        ),
      ).toBe(0);
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines).toEqual([
        'p1: {"sizes":[3,3,3],"passing":3,"elements":["bob","cy","dee"]}',
        'p2: {"sizes":[3,3,3],"passing":3,"elements":["bob","cy"]}',
        'p3: {"sizes":[3,3,3],"passing":3,"elements":["cy","dee"]}',
      ]);
      await expect(
        psiCommand(
          files.slice(0, 2),
          new Map([
            ['column', 'id'],
            ['threshold', '2'],
          ]),
        ),
      ).rejects.toThrow(/three or more CSV files/);
      await expect(
        psiCommand(
          files,
          new Map([
            ['column', 'id'],
            ['threshold', '2'],
            ['output', 'sum'],
          ]),
        ),
      ).rejects.toThrow(/--output does not apply to --threshold/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }, 60_000);
});
