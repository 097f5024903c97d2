/**
 * A party's privacy-budget ledger: the data owner's total budget for its
 * dataset and what earlier runs spent of it. A study declares what one run
 * may spend (privacy.budget); the ledger holds what the owner allows over
 * all runs, so that repeated studies cannot exhaust a dataset's privacy.
 *
 *   { "budget": { "epsilon": 3, "delta": 1e-5 }, "entries": [] }
 *
 * A run is charged before it computes (a run that fails part-way may already
 * have released noisy values), and refused when the ledger's budget would be
 * exceeded. Entries record the study, its digest, the time and the spend.
 * The file is the owner's: Entente only appends to it.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { FieldReader, isObject } from '../analytics/data/reader.js';
import type { Budget } from '../analytics/study/spec.js';
import { UsageError } from './net.js';

export interface LedgerEntry {
  readonly study: string;
  readonly digest: string;
  readonly at: string;
  readonly epsilon: number;
  readonly delta: number;
}

export interface Ledger {
  readonly budget: Budget;
  readonly entries: readonly LedgerEntry[];
}

const EXAMPLE = '{ "budget": { "epsilon": 3, "delta": 1e-5 }, "entries": [] }';

/** Reads and validates a ledger. @throws {UsageError} naming the file and field. */
export async function readLedger(file: string): Promise<Ledger> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${file}: no such ledger; the data owner creates it with the dataset's total budget, e.g. ${EXAMPLE}`
        : `${file}: not a JSON ledger (${code ?? 'invalid JSON'})`,
    );
  }
  const r = new FieldReader();
  const o = r.object(raw, '', ['budget', 'entries']);
  const b = o && r.object(o.budget, 'budget', ['epsilon', 'delta']);
  const epsilon = b ? r.number(b.epsilon, 'budget.epsilon', 0, 1000) : undefined;
  const delta = b
    ? b.delta === undefined
      ? 0
      : r.number(b.delta, 'budget.delta', 0, 1)
    : undefined;
  const list = o ? r.list(o.entries ?? [], 'entries', 0, 1_000_000) : undefined;
  const entries: LedgerEntry[] = [];
  list?.forEach((e, i) => {
    const p = `entries[${i}]`;
    const x = r.object(e, p, ['study', 'digest', 'at', 'epsilon', 'delta']);
    if (!x || !isObject(x)) return;
    const eps = r.number(x.epsilon, `${p}.epsilon`, 0, 1000);
    const del = r.number(x.delta, `${p}.delta`, 0, 1);
    if (eps !== undefined && del !== undefined)
      entries.push({
        study: String(x.study ?? ''),
        digest: String(x.digest ?? ''),
        at: String(x.at ?? ''),
        epsilon: eps,
        delta: del,
      });
  });
  if (r.issues.length > 0 || epsilon === undefined || delta === undefined)
    throw new UsageError(`${file}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { budget: { epsilon, delta }, entries };
}

/**
 * Charges a run to the ledger, or refuses it. Spends of zero are not recorded.
 * @throws {UsageError} when the run would exceed the ledger's budget (nothing is written).
 */
export async function charge(
  file: string,
  run: { study: string; digest: string; epsilon: number; delta: number },
): Promise<{ spentEpsilon: number; spentDelta: number; budget: Budget }> {
  const ledger = await readLedger(file);
  const spentEpsilon = ledger.entries.reduce((a, e) => a + e.epsilon, 0);
  const spentDelta = ledger.entries.reduce((a, e) => a + e.delta, 0);
  const b = ledger.budget;
  if (run.epsilon === 0 && run.delta === 0) return { spentEpsilon, spentDelta, budget: b };
  if (
    spentEpsilon + run.epsilon > b.epsilon * (1 + 1e-12) ||
    spentDelta + run.delta > b.delta * (1 + 1e-12)
  )
    throw new UsageError(
      `${file}: this run would spend epsilon ${run.epsilon} and delta ${run.delta}, but earlier runs spent epsilon ` +
        `${round(spentEpsilon)} and delta ${spentDelta} of the dataset's budget (epsilon ${b.epsilon}, delta ${b.delta}): the run is refused`,
    );
  const entry: LedgerEntry = { ...run, at: new Date().toISOString() };
  const next = { budget: b, entries: [...ledger.entries, entry] };
  // Written whole to a temporary file, then renamed: a crash leaves the old or the new ledger.
  await writeFile(`${file}.tmp`, JSON.stringify(next, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
  return {
    spentEpsilon: spentEpsilon + run.epsilon,
    spentDelta: spentDelta + run.delta,
    budget: b,
  };
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;
