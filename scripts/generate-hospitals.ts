/**
 * Writes the synthetic patient records of the bundled study:
 *
 *   npx tsx scripts/generate-hospitals.ts [--rows 10000] [--seed 2025] [--out examples/hospitals/data]
 *
 * One CSV per hospital (hospital-a.csv, ...), deterministic from the seed.
 * `npm start` runs this when the files are missing.
 */
import { writeHospitals } from '../src/cli/study.js';

function option(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
}

const args = process.argv.slice(2);
const rows = Number(option(args, 'rows', '10000'));
const seed = Number(option(args, 'seed', '2025'));
if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(seed)) {
  console.error('usage: generate-hospitals [--rows N] [--seed S] [--out DIR]');
  process.exit(2);
}
const files = await writeHospitals(option(args, 'out', 'examples/hospitals/data'), rows, seed);
for (const f of files) console.log(`wrote ${f}`);
