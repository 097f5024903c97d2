/**
 * Reports of a study run: a table for the terminal, a Markdown document with
 * the Kaplan-Meier curves drawn as SVG, and the JSON record. When reference
 * answers on the pooled data are given (the demo only), each secure value is
 * shown beside its plaintext counterpart with the difference; the column is
 * labelled as computed in the clear for the demo.
 *
 * Pure text generation: writing files is the caller's.
 */
import type { AnalysisOutcome, ResultRow, StudyOutcome, SurvivalCurve } from './result.js';
import { fewerThan } from './wording.js';

/** Reference rows per analysis id (plaintext on pooled data, demo only). */
export type ReferenceRows = ReadonlyMap<string, readonly ResultRow[]>;

const key = (r: ResultRow) => `${r.statistic}|${r.group ?? ''}`;

/** A number for reports: integers as they are, others with 4 significant decimals or in e-notation. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return x.toExponential(3);
  return x.toFixed(a >= 100 ? 2 : 4);
}

function difference(secure: number | null, plain: number | null | undefined): string {
  if (secure === null || plain === null || plain === undefined) return '';
  const d = secure - plain;
  if (d === 0) return '0';
  return (d > 0 ? '+' : '') + (Math.abs(d) < 1e-3 ? d.toExponential(1) : formatNumber(d));
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function header(o: StudyOutcome): string[] {
  const lines = [
    o.study,
    // eslint-disable-next-line no-restricted-syntax -- the report options' suite name
    `suite ${o.suite}; ${o.parties.map((p) => `${p.name} ${p.rows} records`).join(', ')}; minimum cell size k = ${o.minCellSize}`,
  ];
  if (o.budget)
    lines.push(
      `privacy budget per dataset: epsilon ${o.budget.epsilon}, delta ${o.budget.delta}; this run spends epsilon ${formatNumber(o.budget.spentEpsilon)}, delta ${o.budget.spentDelta.toExponential(1)}`,
    );
  return lines;
}

/**
 * The report as a terminal table.
 * @example
 *   console.log(terminalReport(outcome, reference));
 */
export function terminalReport(o: StudyOutcome, reference?: ReferenceRows): string {
  const out: string[] = [...header(o), ''];
  const W = [44, 14, 14, 11];
  const pad = (s: string, w: number, right = true) => (right ? s.padStart(w) : s.padEnd(w));
  if (reference)
    out.push(
      `${pad('', W[0]!, false)} ${pad('secure', W[1]!)} ${pad('pooled*', W[2]!)} ${pad('difference', W[3]!)}`,
    );
  o.analyses.forEach((a, i) => {
    out.push(`${i + 1}. ${a.title}`);
    const ref = reference?.get(a.id);
    const refByKey = new Map(ref?.map((r) => [key(r), r.value]));
    for (const r of a.rows) {
      const label = `   ${r.statistic}${r.group ? `  ${r.group}` : ''}`;
      const secure = r.suppressed ? `(< ${o.minCellSize})` : formatNumber(r.value);
      let line = `${pad(label.length > W[0]! ? label.slice(0, W[0]! - 1) + '~' : label, W[0]!, false)} ${pad(secure, W[1]!)}`;
      if (reference) {
        const p = refByKey.get(key(r));
        line += ` ${pad(p === undefined ? '' : formatNumber(p), W[2]!)} ${pad(difference(r.value, p), W[3]!)}`;
      }
      out.push(line.trimEnd());
    }
    for (const n of a.notes) out.push(`   - ${n}`);
    out.push(
      `   ${a.seconds.toFixed(2)} s, ${a.rounds} rounds, ${bytes(a.bytesSent)} sent by this party`,
    );
    out.push('');
  });
  out.push(
    `Total ${o.seconds.toFixed(1)} s, ${o.rounds} rounds, ${bytes(o.bytesSent)} sent by this party.${o.minCellSize > 0 ? ` "(< ${o.minCellSize})": suppressed, ${fewerThan(o.minCellSize)}.` : ''}`,
  );
  if (reference)
    out.push(
      "* pooled: computed in the clear on every party's records together, FOR THIS DEMO ONLY, to check the secure answers;",
      '  a real study never pools the records. Differences show fixed-point rounding or, where marked, DP noise.',
    );
  return out.join('\n');
}

/** Escapes text for Markdown tables. */
function md(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/**
 * The report as Markdown; Kaplan-Meier curves are inline SVG images (GitHub
 * and most viewers render them).
 */
export function markdownReport(o: StudyOutcome, reference?: ReferenceRows): string {
  const out: string[] = [`# ${md(o.study)}`, ''];
  if (o.description) out.push(o.description, '');
  out.push(
    ...header(o)
      .slice(1)
      .map((l) => `- ${md(l)}`),
    '',
  );
  if (reference)
    out.push(
      '> The **pooled** column is computed in the clear on all records pooled together, **for this demo only**, to check the secure answers. A real study never pools the records.',
      '',
    );
  o.analyses.forEach((a, i) => {
    out.push(`## ${i + 1}. ${md(a.title)}`, '');
    const ref = reference?.get(a.id);
    const refByKey = new Map(ref?.map((r) => [key(r), r.value]));
    out.push(
      reference
        ? '| statistic | group | secure | pooled (demo only) | difference | precision |\n|---|---|---:|---:|---:|---|'
        : '| statistic | group | value | precision |\n|---|---|---:|---|',
    );
    for (const r of a.rows) {
      const secure = r.suppressed ? `suppressed (< ${o.minCellSize})` : formatNumber(r.value);
      const p = refByKey.get(key(r));
      out.push(
        reference
          ? `| ${md(r.statistic)} | ${md(r.group ?? '')} | ${secure} | ${p === undefined ? '' : formatNumber(p)} | ${difference(r.value, p)} | ${md(r.precision ?? '')} |`
          : `| ${md(r.statistic)} | ${md(r.group ?? '')} | ${secure} | ${md(r.precision ?? '')} |`,
      );
    }
    out.push('');
    if (a.curves && a.curves.length > 0) out.push(survivalSvg(a), '', ...survivalTable(a, o), '');
    for (const n of a.notes) out.push(`- ${md(n)}`);
    out.push(
      `- cost at one party: ${a.seconds.toFixed(2)} s, ${a.rounds} rounds, ${bytes(a.bytesSent)} sent`,
      '',
    );
  });
  return out.join('\n');
}

/**
 * Kaplan-Meier curves as a table, as R's summary(survfit(...), times): per
 * group and time the number at risk, events since the previous time, S(t),
 * its standard error and the confidence band (columns without data left out).
 */
export function survivalTable(
  a: Pick<AnalysisOutcome, 'curves'>,
  o: Pick<StudyOutcome, 'minCellSize'>,
): string[] {
  const curves = a.curves ?? [];
  const level = curves.find((c) => c.confLevel !== undefined)?.confLevel;
  const pct = level === undefined ? '' : ` ${+(level * 100).toPrecision(6)}%`;
  type Col = {
    name: string;
    get: (c: SurvivalCurve) => readonly (number | null)[] | undefined;
  };
  const all: Col[] = [
    { name: 'at risk', get: (c) => c.atRisk },
    { name: 'events', get: (c) => c.events },
    { name: 'S(t)', get: (c) => c.survival },
    { name: 'std.err', get: (c) => c.stdErr },
    { name: `lower${pct}`, get: (c) => c.lower },
    { name: `upper${pct}`, get: (c) => c.upper },
  ];
  const cols = all.filter((col) => curves.some((c) => col.get(c) !== undefined));
  const out = [
    `| group | time | ${cols.map((c) => c.name).join(' | ')} |`,
    `|---|---:|${cols.map(() => '---:').join('|')}|`,
  ];
  for (const c of curves)
    c.times.forEach((t, i) => {
      const cells = cols.map((col) => {
        const v = col.get(c)?.[i];
        if (v === undefined) return '';
        // Suppressed counts and points; a band is also empty where S = 0 (R: NA).
        return v === null
          ? col.name === 'S(t)' || col.name === 'at risk' || col.name === 'events'
            ? `(< ${o.minCellSize})`
            : '-'
          : formatNumber(v);
      });
      out.push(`| ${md(c.group)} | ${t} | ${cells.join(' | ')} |`);
    });
  return out;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Kaplan-Meier step curves as an SVG image; suppressed points leave gaps. */
export function survivalSvg(a: Pick<AnalysisOutcome, 'title' | 'curves'>): string {
  const curves = a.curves ?? [];
  const W = 640;
  const H = 360;
  const L = 56;
  const B = 40;
  const T = 20;
  const R = 120;
  const tMax = Math.max(1, ...curves.flatMap((c) => c.times));
  const x = (t: number) => L + ((W - L - R) * t) / tMax;
  const y = (s: number) => T + (H - T - B) * (1 - s);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(a.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${L}" y1="${y(0)}" x2="${L}" y2="${y(1)}" stroke="black"/>`,
  ];
  for (const s of [0, 0.25, 0.5, 0.75, 1])
    parts.push(
      `<text x="${L - 6}" y="${y(s) + 4}" text-anchor="end">${s.toFixed(2)}</text>`,
      `<line x1="${L}" y1="${y(s)}" x2="${W - R}" y2="${y(s)}" stroke="#ddd"/>`,
    );
  const ticks = curves[0]?.times ?? [];
  for (const t of ticks.filter(
    (_, i) => ticks.length <= 12 || i % Math.ceil(ticks.length / 12) === 0,
  ))
    parts.push(`<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">time</text>`);
  parts.push(
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">survival</text>`,
  );
  curves.forEach((c, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    // Steps from S(0) = 1; a suppressed point ends the drawn part of the curve.
    let d = `M ${x(0)} ${y(1)}`;
    let prev = 1;
    for (let i = 0; i < c.times.length; i++) {
      const s = c.survival[i];
      if (s === null || s === undefined) break;
      d += ` H ${x(c.times[i]!).toFixed(1)} V ${y(s).toFixed(1)}`;
      prev = s;
    }
    void prev;
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    parts.push(
      `<text x="${W - R + 8}" y="${T + 16 + 18 * k}" fill="${colour}">${escapeXml(c.group)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!,
  );
}

/** The JSON record: the outcome and, for the demo, the pooled reference rows. */
export function jsonReport(o: StudyOutcome, reference?: ReferenceRows): string {
  return (
    JSON.stringify(
      {
        ...o,
        ...(reference
          ? { pooledReferenceForDemoOnly: Object.fromEntries(reference.entries()) }
          : {}),
      },
      null,
      2,
    ) + '\n'
  );
}
