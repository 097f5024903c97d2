/**
 * Writes the credit example's synthetic tables (fixed seed) beside
 * study.yaml: `npx tsx examples/credit/generate.ts [ROWS]` (default 1000
 * customers per bank). The committed files were made with the defaults.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { creditCsv } from '../../src/apps/aml-credit.js';

export const EXAMPLE_ROWS = 1000;
export const EXAMPLE_SEED = 2026;

const here = dirname(fileURLToPath(import.meta.url));
const rows = Number(process.argv[2] ?? EXAMPLE_ROWS);
const { bankA, bankB } = creditCsv(rows, EXAMPLE_SEED);
mkdirSync(join(here, 'data'), { recursive: true });
writeFileSync(join(here, 'data', 'bank-a.csv'), bankA);
writeFileSync(join(here, 'data', 'bank-b.csv'), bankB);
console.log(`wrote ${join(here, 'data')}/bank-a.csv and bank-b.csv (${rows} rows per bank)`);
