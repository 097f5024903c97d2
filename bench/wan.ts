/**
 * The wide-area benchmark (issue 24): three party processes over TLS 1.3 on
 * 127.0.0.1 (`entente run --delay-ms`), every message delayed by half the
 * round-trip time on its way (src/transport/delay.ts), so no system tool is
 * needed to add latency.
 *
 *   npm run bench -- wan [--rtt 0,10,50,100] [--only study,compare,sort] [--rows 10000]
 *                        [--analyses ID,...]
 *
 * Workloads: the bundled hospital study (examples/hospitals, 3 x --rows
 * synthetic records; whole and per analysis), 100k comparisons of int(32)
 * (first call and warm) and a sort of 10k int(32) values (one call). For each
 * RTT it prints wall time (slowest party), rounds, MiB sent by the first
 * party, the latency floor, rounds x one-way delay: what the run would
 * take with infinitely fast parties, and the ratio to the same work in the
 * clear (each analysis on the pooled records, bench/study.ts). Then the summary table of the issue,
 * in Markdown, for docs/PERFORMANCE.md. A full run takes about ten minutes
 * (the study at 100 ms RTT alone takes minutes); pick a subset with --rtt
 * and --only.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHospitals } from '../src/cli/study.js';
import { HOSPITALS } from '../src/apps/hospitals.js';
import { runFederated } from './federated.js';
import { plainSeconds, timePlain } from './plain.js';
import { plainAnalysisSeconds } from './study.js';
import { parseStudyText } from '../src/analytics/study/parse.js';
import { readFile } from 'node:fs/promises';
import type { WanResult, WanStep } from './wan-program.js';

const STUDY = 'examples/hospitals/study.yaml';
const WORKS = ['study', 'compare', 'sort'] as const;
type Work = (typeof WORKS)[number];

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The workload at one RTT: every party's result. */
async function measure(
  work: Work,
  rttMs: number,
  env: Record<string, string>,
): Promise<WanResult[]> {
  return runFederated<WanResult>({
    name: 'bench-wan',
    suite: 'rep3',
    transport: 'tls',
    parties: 3,
    ids: work === 'study' ? HOSPITALS.map((h) => h.id) : undefined,
    program: 'bench/wan-program.ts',
    env: { ...env, ENTENTE_BENCH_WAN: work },
    args: rttMs > 0 ? ['--delay-ms', String(rttMs / 2)] : [],
    quietLinks: true,
  });
}

/** One row across parties: the slowest party's time, the most rounds, the first party's bytes. */
function merge(steps: readonly WanStep[]): WanStep {
  return {
    label: steps[0]!.label,
    seconds: Math.max(...steps.map((x) => x.seconds)),
    rounds: Math.max(...steps.map((x) => x.rounds)),
    bytesSent: steps[0]!.bytesSent,
  };
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(2);

interface Row {
  label: string;
  step: WanStep;
  /** Seconds of the same work in the clear, when there is a baseline. */
  plain?: number;
}

function printRows(rttMs: number, rows: readonly Row[]): void {
  const oneWay = rttMs / 2;
  console.log(
    `\nRTT ${rttMs} ms (one-way ${oneWay} ms on every message), 3 processes over TLS 1.3 on 127.0.0.1, rep3`,
  );
  console.log(
    `  ${'workload'.padEnd(36)} ${'seconds'.padStart(8)} ${'rounds'.padStart(7)} ${'MiB sent'.padStart(9)} ` +
      `${'floor s'.padStart(8)} ${'floor %'.padStart(8)} ${'x plain'.padStart(8)}`,
  );
  for (const { label, step, plain } of rows) {
    const floor = (step.rounds * oneWay) / 1000;
    console.log(
      `  ${label.padEnd(36)} ${step.seconds.toFixed(2).padStart(8)} ${String(step.rounds).padStart(7)} ` +
        `${mib(step.bytesSent).padStart(9)} ${floor.toFixed(2).padStart(8)} ` +
        `${(step.seconds > 0 ? `${((100 * floor) / step.seconds).toFixed(0)}%` : '-').padStart(8)} ` +
        `${(plain ? (step.seconds / plain).toFixed(0) : '-').padStart(8)}`,
    );
  }
}

/** Seconds of sorting 10k int32 values in the clear (the x plain of the sort row). */
function plainSort(n: number): number {
  const a = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
  return timePlain(() => a.slice().sort());
}

export async function runWanBench(args: string[]): Promise<void> {
  const rtts = (option(args, 'rtt') ?? '0,10,50,100').split(',').map(Number);
  for (const r of rtts)
    if (!Number.isInteger(r) || r < 0 || r % 2 !== 0 || r > 10_000)
      throw new RangeError(`--rtt: expected even whole milliseconds (one-way = RTT/2), got ${r}`);
  const only = (option(args, 'only') ?? WORKS.join(',')).split(',');
  for (const w of only)
    if (!(WORKS as readonly string[]).includes(w))
      throw new RangeError(`--only: expected some of ${WORKS.join(', ')}, got '${w}'`);
  const rows = Number(option(args, 'rows') ?? '10000');
  const analyses = option(args, 'analyses');

  const dir = await mkdtemp(join(tmpdir(), 'entente-bench-wan-'));
  // The summary: label -> RTT -> seconds, and each label's rounds.
  const summary = new Map<string, { rounds: number; seconds: Map<number, number> }>();
  const note = (label: string, rtt: number, step: WanStep) => {
    const e = summary.get(label) ?? { rounds: step.rounds, seconds: new Map<number, number>() };
    e.rounds = Math.max(e.rounds, step.rounds);
    e.seconds.set(rtt, step.seconds);
    summary.set(label, e);
  };
  try {
    const env: Record<string, string> = {};
    let plainStudy = new Map<string, number>();
    if (only.includes('study')) {
      // The study file beside its data, so each party reads its own file as in a deployment.
      await writeHospitals(join(dir, 'data'), rows);
      await copyFile(STUDY, join(dir, 'study.yaml'));
      env.ENTENTE_STUDY = join(dir, 'study.yaml');
      if (analyses) env.ENTENTE_STUDY_ANALYSES = analyses;
      // Each analysis in the clear on the pooled records: the x plain column.
      plainStudy = await plainAnalysisSeconds(
        parseStudyText(await readFile(STUDY, 'utf8'), STUDY),
        join(dir, 'data'),
      );
    }
    const plain = {
      compare: plainSeconds('cmp', 100_000),
      sort: plainSort(10_000),
    };
    console.log(
      `one-way delay = RTT/2 on every message each party sends; study: 3 x ${rows} rows; ` +
        'seconds: slowest party, measured inside the program after linking',
    );
    for (const rtt of rtts) {
      const out: Row[] = [];
      for (const work of WORKS) {
        if (!only.includes(work)) continue;
        const res = await measure(work, rtt, env);
        const whole = merge(res.map((r) => r.whole));
        const parts = res[0]!.parts.map((_, i) => merge(res.map((r) => r.parts[i]!)));
        if (work === 'study') {
          const label = `whole study (3 x ${rows} rows)`;
          out.push({ label, step: whole });
          note(label, rtt, whole);
          for (const p of parts) {
            out.push({ label: `  ${p.label}`, step: p, plain: plainStudy.get(p.label) });
            note(p.label, rtt, p);
          }
        } else if (work === 'compare') {
          out.push({ label: '100k comparisons, first call', step: whole, plain: plain.compare });
          out.push({ label: '100k comparisons, warm', step: parts[0]!, plain: plain.compare });
          note('100k comparisons', rtt, parts[0]!);
        } else {
          out.push({ label: 'sort of 10k values', step: whole, plain: plain.sort });
          note('sort of 10k values', rtt, whole);
        }
      }
      printRows(rtt, out);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  console.log('\nSummary (Markdown, for docs/PERFORMANCE.md): wall seconds at each RTT');
  console.log(
    `| RTT between parties | ${rtts.map((r) => (r === 0 ? '0' : `${r} ms`)).join(' | ')} |`,
  );
  console.log(`|---|${rtts.map(() => '---:').join('|')}|`);
  for (const [label, e] of summary) {
    const cells = rtts.map((r) => {
      const v = e.seconds.get(r);
      return v === undefined ? '-' : v < 10 ? `${v.toFixed(2)} s` : `${v.toFixed(1)} s`;
    });
    console.log(`| ${label} (${e.rounds.toLocaleString('en')} rounds) | ${cells.join(' | ')} |`);
  }
}
