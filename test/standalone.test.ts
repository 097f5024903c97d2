/**
 * The repository stands alone: nothing it ships reads or cites a folder
 * beside it. (`.ci/run` also runs the whole suite in a copy of the tree with
 * nothing beside it, which catches reads this scan cannot see.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['src', 'test', 'bench', 'docs', 'examples', 'scripts', 'native', '.ci'];
const FILES = ['README.md', 'package.json', 'vitest.config.ts', 'eslint.config.js'];
// Written with a join so that this file does not match itself.
const OUTSIDE = ['..', 'shared'].join('/');

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'build' || name.startsWith('report')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

describe('the repository stands alone', () => {
  it(`no file refers to ${OUTSIDE}`, () => {
    const offenders: string[] = [];
    const files = [
      ...FOLDERS.flatMap((f) => [...walk(join(ROOT, f))]),
      ...FILES.map((f) => join(ROOT, f)),
    ];
    for (const f of files) {
      if (/\.(csv|jsonl|parquet|png|node)$/.test(f)) continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.includes(OUTSIDE)) offenders.push(`${relative(ROOT, f)}:${i + 1}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('ships the Bristol Fashion circuits the tests read, with their licence', () => {
    for (const f of [
      'aes_128.txt',
      'sha256.txt',
      'adder64.txt',
      'mult64.txt',
      'LICENSE.txt',
      'README.md',
    ])
      expect(statSync(join(ROOT, 'data/circuits', f)).size).toBeGreaterThan(0);
  });
});
