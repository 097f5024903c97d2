/**
 * Writes a study's reports to a folder: report.json (the outcome and, for the
 * demo, the pooled reference), report.md (tables and survival plots), and
 * one SVG per Kaplan-Meier analysis.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  jsonReport,
  markdownReport,
  survivalSvg,
  type ReferenceRows,
} from '../analytics/study/report.js';
import type { StudyOutcome } from '../analytics/study/result.js';

/** Writes the reports; returns the paths written. */
export async function writeReports(
  dir: string,
  outcome: StudyOutcome,
  reference?: ReferenceRows,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    written.push(p);
  };
  await put('report.json', jsonReport(outcome, reference));
  await put('report.md', markdownReport(outcome, reference));
  for (const a of outcome.analyses)
    if (a.curves && a.curves.length > 0) await put(`${a.id}.svg`, survivalSvg(a) + '\n');
  return written;
}
