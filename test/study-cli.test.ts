/**
 * `entente study` and `entente demo` as real processes: a study over TLS
 * between one process per hospital gives the pooled plaintext answers; a bad
 * study file or a bad data file is refused with its file, line and field,
 * and nothing is computed (no party starts computing, no report is written).
 */
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHospitals } from '../src/cli/study.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-study-cli-'));
  await writeHospitals(join(dir, 'data'), 60, 11);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI; resolves with its exit code and output, killing it after `limitMs`. */
function entente(
  args: readonly string[],
  limitMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/entente.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const SCHEMA = `schema:
  columns:
    - { name: age, type: integer, min: 18, max: 95 }
    - { name: sex, type: categorical, levels: [F, M] }
    - { name: arm, type: categorical, levels: [A, B] }
    - { name: recovered, type: boolean }
    - { name: recovery_days, type: integer, min: 1, max: 60, missing: allow }
    - { name: survival_days, type: integer, min: 1, max: 365 }
    - { name: death, type: boolean }
`;

function studyText(analyses: string, data = 'data'): string {
  return `study: CLI test
parties:
  - { id: hospital-a, data: ${data}/hospital-a.csv }
  - { id: hospital-b, data: ${data}/hospital-b.csv }
  - { id: hospital-c, data: ${data}/hospital-c.csv }
${SCHEMA}privacy: { minCellSize: 5 }
analyses:
${analyses}`;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('entente study', () => {
  it('runs each hospital as a process over TLS and reports the pooled answers', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(
      file,
      studyText(`  - { id: n, type: count, by: arm }
  - { id: days, type: mean, column: recovery_days, by: arm }
  - { id: tt, type: t-test, column: recovery_days, by: arm }
`),
    );
    const r = await entente(['study', file, '--out', join(dir, 'report-ok')]);
    expect(r.stderr).toMatch(/linking 3 processes over TLS 1\.3 on 127\.0\.0\.1/);
    expect(r.stderr).toMatch(/analysis 3\/3: Welch t-test of recovery_days: A vs B/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /suite rep3; hospital-a 60 records, hospital-b 60 records, hospital-c 60 records/,
    );
    const json = JSON.parse(await readFile(join(dir, 'report-ok', 'report.json'), 'utf8')) as {
      analyses: { id: string; rows: { statistic: string; group: string; value: number }[] }[];
    };
    const n = json.analyses[0]!.rows.map((x) => x.value);
    expect(n[0]! + n[1]!).toBe(180);
    expect(await readFile(join(dir, 'report-ok', 'report.md'), 'utf8')).toMatch(/^# CLI test/);
  });

  it('runs every party in one process with --in-process, with the same answers', async () => {
    const file = join(dir, 'inproc.yaml');
    await writeFile(
      file,
      studyText(`  - { id: n, type: count, by: arm }
  - { id: days, type: mean, column: recovery_days, by: arm }
`),
    );
    const [tls, mem] = [join(dir, 'report-inproc-tls'), join(dir, 'report-inproc-mem')];
    const a = await entente(['study', file, '--in-process', '--out', mem]);
    const b = await entente(['study', file, '--out', tls]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stderr).not.toMatch(/linking/);
    const rows = async (d: string) =>
      (
        JSON.parse(await readFile(join(d, 'report.json'), 'utf8')) as {
          analyses: { rows: unknown }[];
        }
      ).analyses.map((x) => x.rows);
    expect(await rows(mem)).toEqual(await rows(tls));
  });

  it('refuses a bad study file with file, line and field; nothing runs', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      studyText(`  - { id: days, type: mean, column: recovery_dayz, by: arm }\n`),
    );
    const r = await entente(['study', file, '--out', join(dir, 'report-bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `bad.yaml:17:37: analyses[0].column: unknown column 'recovery_dayz' (did you mean 'recovery_days'?)`,
    );
    expect(r.stderr).not.toMatch(/linking|analysis 1/);
    expect(await exists(join(dir, 'report-bad'))).toBe(false);
  });

  it('refuses an over-budget study before starting any party', async () => {
    const file = join(dir, 'budget.yaml');
    await writeFile(
      file,
      studyText(`  - { id: n, type: count, by: arm, dp: { epsilon: 0.6 } }
  - { id: r, type: rate, column: recovered, dp: { epsilon: 0.6 } }
`).replace('privacy: { minCellSize: 5 }', 'privacy: { minCellSize: 5, budget: { epsilon: 1 } }'),
    );
    const r = await entente(['study', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /privacy\.budget\.epsilon: the analyses spend epsilon 1\.2 \(n 0\.6 \+ r 0\.6\), more than the budget 1: the run is refused/,
    );
    expect(r.stderr).not.toMatch(/linking/);
  });

  it("charges each run to every party's budget ledger and refuses a run over it", async () => {
    const file = join(dir, 'ledger.yaml');
    await writeFile(
      file,
      studyText(`  - { id: n, type: count, by: arm, dp: { epsilon: 0.6 } }\n`).replace(
        'privacy: { minCellSize: 5 }',
        'privacy: { minCellSize: 5, budget: { epsilon: 1 } }',
      ),
    );
    const ledgers = join(dir, 'ledgers');
    await mkdir(ledgers);
    for (const id of ['hospital-a', 'hospital-b', 'hospital-c'])
      await writeFile(
        join(ledgers, `${id}.ledger.json`),
        JSON.stringify({ budget: { epsilon: 1, delta: 1e-6 }, entries: [] }),
      );
    const first = await entente([
      'study',
      file,
      '--ledger-dir',
      ledgers,
      '--out',
      join(dir, 'report-l1'),
    ]);
    expect(first.code).toBe(0);
    const ledger = JSON.parse(await readFile(join(ledgers, 'hospital-b.ledger.json'), 'utf8')) as {
      entries: { study: string; epsilon: number; delta: number }[];
    };
    expect(ledger.entries).toEqual([
      expect.objectContaining({ study: 'CLI test', epsilon: 0.6, delta: 1e-9 }),
    ]);
    // 0.6 + 0.6 > 1: every party refuses before linking; nothing is computed.
    const second = await entente([
      'study',
      file,
      '--ledger-dir',
      ledgers,
      '--out',
      join(dir, 'report-l2'),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /hospital-a\.ledger\.json: this run would spend epsilon 0\.6 and delta 1e-9, but earlier runs spent epsilon 0\.6 and delta 1e-9 of the dataset's budget \(epsilon 1, delta 0\.000001\): the run is refused/,
    );
    expect(second.stderr).not.toMatch(/analysis 1/);
    expect(await exists(join(dir, 'report-l2'))).toBe(false);
  });

  it("a party's bad data stops that party before linking, and the others are stopped", async () => {
    const bad = join(dir, 'baddata');
    await writeHospitals(bad, 20, 3);
    const text = await readFile(join(bad, 'hospital-b.csv'), 'utf8');
    const lines = text.split('\n');
    lines[4] = lines[4]!.replace(/^\d+,/, '130,');
    await writeFile(join(bad, 'hospital-b.csv'), lines.join('\n'));
    const file = join(dir, 'baddata.yaml');
    await writeFile(file, studyText(`  - { id: n, type: count, by: arm }\n`, 'baddata'));
    const r = await entente(['study', file, '--out', join(dir, 'report-baddata')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\[hospital-b\] entente: .*hospital-b\.csv:5: column 'age' \(1\): out of range: expected an integer in 18\.\.95/,
    );
    // The summary names the party that failed first, with its reason.
    expect(r.stderr).toMatch(
      /entente study: failed: hospital-b \(exit 2\): .*hospital-b\.csv:5: column 'age' \(1\): out of range/,
    );
    expect(r.stderr).not.toMatch(/analysis 1/);
    expect(await exists(join(dir, 'report-baddata'))).toBe(false);
  });
});
