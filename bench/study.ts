/**
 * The study benchmark: the bundled hospital study (examples/hospitals) with
 * three hospitals as separate processes over TLS 1.3 on 127.0.0.1, exactly
 * as `npm start` runs it, at several sizes.
 *
 *   npm run bench -- study [--rows 10000,100000] [--suite rep3] [--skip ID,...] [--sequential]
 *
 * Prints, per size: the wall time of the whole run (process start, linking,
 * loading, every analysis, report), and per analysis the wall time, rounds,
 * the bytes sent by hospital-a (each party sends about the same) and the ratio
 * to the same analysis in the clear on the pooled records. The analyses run
 * concurrently (each on its own channel) unless --sequential; the study's
 * rounds are its critical path, and the sum of the analyses' rounds is
 * printed beside them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStudyText } from '../src/analytics/study/parse.js';
import { isCounting } from '../src/analytics/study/counting.js';
import type { StudyOutcome } from '../src/analytics/study/result.js';
import { STATISTICS } from '../src/analytics/study/statistics.js';
import { writeHospitals } from '../src/cli/study.js';
import { loadTable } from '../src/adapters/node/data.js';
import type { Table } from '../src/analytics/data/table.js';
import type { Study } from '../src/analytics/study/spec.js';
import { countingReference, poolTables } from '../src/analytics/study/reference.js';
import { STATISTICS_REFERENCE } from '../src/analytics/study/statistics.js';
import { timePlain } from './plain.js';

const STUDY = 'examples/hospitals/study.yaml';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/entente.js', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // Progress lines, so a long run shows where it is.
      for (const l of d.split('\n'))
        if (/^ {2}analysis \d+/.test(l)) process.stderr.write(`${l}\n`);
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(2);

/**
 * Each analysis in the clear on the pooled records (what the demo shows as
 * "pooled"), in seconds, median of three after a warm-up: the baseline of
 * the "x plain" column. Loading the files is not counted on either side.
 */
export async function plainAnalysisSeconds(
  study: Study,
  dataDir: string,
): Promise<Map<string, number>> {
  const tables: Table[] = [];
  for (const p of study.parties)
    if (p.data !== undefined)
      tables.push(await loadTable(join(dataDir, `${p.id}.csv`), study.schema, p.format));
  const pooled = poolTables(tables);
  const out = new Map<string, number>();
  for (const a of study.analyses) {
    const impl = () =>
      countingReference(pooled, a) ?? STATISTICS_REFERENCE[a.type]?.(pooled, a, study);
    if (impl() === undefined) continue;
    out.set(a.id, timePlain(impl));
  }
  return out;
}

export async function runStudyBench(args: string[]): Promise<void> {
  const sizes = (option(args, 'rows') ?? '10000,100000').split(',').map(Number);
  const suite = option(args, 'suite') ?? 'rep3';
  const study = parseStudyText(await readFile(STUDY, 'utf8'), STUDY);
  const skip = (option(args, 'skip') ?? '').split(',');
  const available = study.analyses.filter(
    (a) => (isCounting(a) || STATISTICS[a.type]) && !skip.includes(a.id),
  );
  const missing = study.analyses.filter((a) => !available.includes(a));
  if (missing.length > 0)
    console.log(
      `left out (not in this build yet, or --skip): ${missing.map((a) => `${a.id} (${a.type})`).join(', ')}`,
    );
  for (const rows of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'entente-bench-study-'));
    try {
      await writeHospitals(join(dir, 'data'), rows);
      const t0 = performance.now();
      const r = await run([
        'study',
        STUDY,
        '--suite',
        suite,
        '--data-dir',
        join(dir, 'data'),
        '--out',
        join(dir, 'report'),
        '--analyses',
        available.map((a) => a.id).join(','),
        ...(args.includes('--sequential') ? ['--sequential'] : []),
      ]);
      const wall = (performance.now() - t0) / 1000;
      if (r.code !== 0) {
        console.log(`3 x ${rows}: failed (exit ${r.code})\n${r.stderr}`);
        continue;
      }
      const o = JSON.parse(
        await readFile(join(dir, 'report', 'report.json'), 'utf8'),
      ) as StudyOutcome;
      console.log(
        `\n3 x ${rows} rows, suite ${o.suite}, three processes over TLS: ${wall.toFixed(1)} s wall in total ` +
          `(study ${o.seconds.toFixed(1)} s at hospital-a, ${mib(o.bytesSent)} MiB sent by it)`,
      );
      const sum = o.analyses.reduce((t, a) => t + a.rounds, 0);
      console.log(
        `  analyses ${args.includes('--sequential') ? 'one after another' : 'concurrently'}: ` +
          `${o.rounds} rounds on the critical path (the analyses' rounds sum to ${sum})`,
      );
      const plain = await plainAnalysisSeconds(study, join(dir, 'data'));
      console.log(
        `  ${'analysis'.padEnd(28)} ${'seconds'.padStart(8)} ${'rounds'.padStart(7)} ${'MiB sent'.padStart(9)} ${'x plain'.padStart(9)}`,
      );
      for (const a of o.analyses) {
        const p = plain.get(a.id);
        console.log(
          `  ${a.id.padEnd(28)} ${a.seconds.toFixed(2).padStart(8)} ${String(a.rounds).padStart(7)} ${mib(a.bytesSent).padStart(9)} ${(p ? (a.seconds / p).toFixed(0) : '-').padStart(9)}`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
