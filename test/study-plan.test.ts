/**
 * Round counts as a plan (issue 24, item 4): `entente study --dry-run`
 * reports per analysis the rounds that a real run of the same study then
 * takes, here three party processes over TLS with a simulated one-way delay
 * on every link (item 5, --delay-ms), whose results still match the pooled
 * plaintext answers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTable } from '../src/adapters/node/data.js';
import type { StudyOutcome } from '../src/analytics/study/result.js';
import { parseStudyText } from '../src/analytics/study/parse.js';
import { pooledReference, writeHospitals } from '../src/cli/study.js';
import { estimateSeconds, parseRtt } from '../src/api/estimate.js';
import { Cli } from './net/helpers.js';

const STUDY = 'examples/hospitals/study.yaml';
const ANALYSES = ['patients', 'recovery-t-test', 'survival-log-rank'];
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entente-study-plan-'));
  await writeHospitals(join(dir, 'data'), 40, 24);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The dry run's table: analysis id -> rounds, and the estimate columns' RTTs. */
function planRows(stdout: string): { rounds: Map<string, number>; rtts: number[] } {
  const rounds = new Map<string, number>();
  const head = stdout.split('\n').find((l) => /^\s+analysis\s+rounds/.test(l));
  const rtts = [...(head ?? '').matchAll(/@(\d+)ms/g)].map((m) => Number(m[1]));
  for (const l of stdout.split('\n')) {
    const m = /^\s{2}(\S[\w -]*?)\s+(\d+)\s+\d+\.\d\d(\s+\d+\.\d)+$/.exec(l);
    if (m) rounds.set(m[1]!.trim(), Number(m[2]));
  }
  return { rounds, rtts };
}

describe('entente study --dry-run', () => {
  it('reports the rounds a real run over TLS with --delay-ms then takes, per analysis', async () => {
    const common = ['--data-dir', join(dir, 'data'), '--analyses', ANALYSES.join(',')];
    const plan = await new Cli(['study', STUDY, '--dry-run', '--rtt', '100ms', ...common]).exit(
      120_000,
    );
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/estimates, not measurements: time = compute \+ rounds x RTT\/2/);
    const { rounds, rtts } = planRows(plan.stdout);
    expect(rtts).toEqual([100]);
    expect([...rounds.keys()]).toEqual([...ANALYSES, 'whole study']);
    // The analyses run concurrently: the study's rounds are its critical path, at least
    // the longest analysis's and fewer than all of theirs one after another.
    const sum = ANALYSES.reduce((n, id) => n + rounds.get(id)!, 0);
    const longest = Math.max(...ANALYSES.map((id) => rounds.get(id)!));
    expect(rounds.get('whole study')!).toBeGreaterThanOrEqual(longest);
    expect(rounds.get('whole study')!).toBeLessThan(sum);
    // A dry run prints no result and writes no report.
    expect(plan.stdout).not.toMatch(/Reports:/);

    const out = join(dir, 'report');
    const real = await new Cli(['study', STUDY, '--delay-ms', '3', '--out', out, ...common]).exit(
      180_000,
    );
    expect(real.code, real.stderr).toBe(0);
    const o = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as StudyOutcome;
    expect(o.analyses.map((a) => [a.id, a.rounds])).toEqual(
      ANALYSES.map((id) => [id, rounds.get(id)]),
    );
    expect(o.analyses.find((a) => a.id === 'recovery-t-test')!.rounds).toBeGreaterThan(50);

    // The delayed run's answers are the pooled plaintext ones.
    const study = parseStudyText(await readFile(STUDY, 'utf8'), STUDY);
    const tables = await Promise.all(
      study.parties.map((p) => loadTable(join(dir, 'data', `${p.id}.csv`), study.schema, p.format)),
    );
    const ref = pooledReference(study, tables);
    for (const id of ['patients', 'recovery-t-test']) {
      const mine = o.analyses.find((a) => a.id === id)!.rows;
      const theirs = ref.get(id)!;
      let compared = 0;
      for (const r of mine) {
        const t = theirs.find((x) => x.statistic === r.statistic && x.group === r.group);
        if (!t || r.value === null || t.value === null) continue;
        expect(r.value, `${id} ${r.statistic} ${r.group ?? ''}`).toBeCloseTo(t.value, 2);
        compared++;
      }
      expect(compared, id).toBeGreaterThanOrEqual(2);
    }
    const n = o.analyses.find((a) => a.id === 'patients')!.rows;
    expect(n.reduce((s, r) => s + (r.value ?? 0), 0)).toBe(120);
  });
});

describe('entente plan --rtt', () => {
  it('reports the rounds that entente local --delay-ms then takes over TLS, and the estimate', async () => {
    const prog = 'examples/millionaires.ts';
    const plan = await new Cli([
      'plan',
      prog,
      '--suite',
      'rep3',
      '--parties',
      '3',
      '--rtt',
      '100ms',
    ]).exit(60_000);
    expect(plan.code, plan.stderr).toBe(0);
    const m = /: (\d+) rounds, compute (\d+\.\d+) s/.exec(plan.stdout);
    expect(m, plan.stdout).not.toBeNull();
    const rounds = Number(m![1]);
    const compute = Number(m![2]);
    expect(plan.stdout).toContain(
      `estimated time at RTT 100 ms: ${(compute + rounds * 0.05).toFixed(2)} s (${compute.toFixed(2)} s compute + ${rounds} rounds x 50 ms)`,
    );
    expect(plan.stdout).toMatch(/estimates, not measurements/);
    // rep3 has no preprocessing to count: only the rounds are reported.
    expect(plan.stdout).not.toMatch(/preprocessing/);

    const real = await new Cli(['local', prog, '--parties', '3', '--delay-ms', '5']).exit(90_000);
    expect(real.code, real.stderr).toBe(0);
    const used = [...real.stdout.matchAll(/^ {2}(\d+) rounds,/gm)].map((x) => Number(x[1]));
    expect(used).toHaveLength(3);
    expect(Math.max(...used)).toBe(rounds);
    expect(real.stdout).toMatch(/p1: \{"p1IsRicher":(true|false)\}/);
  });
});

describe('the estimate', () => {
  it('is compute plus rounds x one-way delay, and reads RTTs as written', () => {
    expect(estimateSeconds({ rounds: 3825, computeSeconds: 3.1 }, 100)).toBeCloseTo(194.35, 6);
    expect(estimateSeconds({ rounds: 10, computeSeconds: 0.5 }, 0)).toBe(0.5);
    expect(parseRtt('100ms')).toBe(100);
    expect(parseRtt('0.05s')).toBe(50);
    expect(parseRtt('10')).toBe(10);
    expect(parseRtt('0')).toBe(0);
    for (const bad of ['', '-5ms', '1h', 'fast', '61s'])
      expect(() => parseRtt(bad), bad).toThrow(RangeError);
    expect(() => estimateSeconds({ rounds: 1, computeSeconds: 0 }, -1)).toThrow(RangeError);
  });

  it('refuses --rtt without --dry-run, and a bad --rtt, with exit 2', async () => {
    const a = await new Cli(['study', STUDY, '--rtt', '100ms']).exit();
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--rtt: only with --dry-run/);
    const c = await new Cli(['study', STUDY, '--dry-run', '--delay-ms', '5']).exit();
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--delay-ms: not with --dry-run/);
    const b = await new Cli([
      'plan',
      'examples/millionaires.ts',
      '--suite',
      'rep3',
      '--rtt',
      '1h',
    ]).exit();
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--rtt: expected a round-trip time such as 100ms/);
  });
});
