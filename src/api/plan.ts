/**
 * Preprocessing plans: how much material (triples, random bits, daBits...) a
 * program consumes under a suite with preprocessing, counted before it runs,
 * and a suite that generates exactly that up front.
 *
 * The count is a dry run: the program runs in the clear (every party in this
 * process) under a counting suite that charges each primitive its cost in
 * the target suite's table (`semi2kCost`, `spdz2kCost`). Programs are
 * data-oblivious in their use of primitives (vector lengths and control flow
 * on revealed values are public), so the count is exact for the same inputs'
 * sizes; a program whose revealed values steer later work may need more or
 * less with other data, which strict mode then reports (`PreprocessingError`)
 * instead of falling back to slower on-demand generation.
 *
 * @example
 *   const plan = await planProgram(millionaires, 'spdz2k', 2); // examples/millionaires.ts
 *   console.log(plan.counts); // { bit: 33, input0: 1, input1: 1, rand: 2, triple: 58 }
 *   await runLocal(program, { suite: plannedSuite('spdz2k', plan.counts), parties: 2 });
 */
import type { CryptoProvider } from '../random/provider.js';
import type { Counts } from '../suites/semi2k/material.js';
import { countingSuite, semi2kCost, type CostTable } from '../suites/semi2k/cost.js';
import { SEMI2K_LAYOUTS, semi2kFactory } from '../suites/semi2k/semi2k.js';
import { spdz2kCost } from '../suites/spdz2k/cost.js';
import { spdz2kFactory, spdz2kLayouts } from '../suites/spdz2k/spdz2k.js';
import type { SuiteFactory } from '../suites/suite.js';
import { runLocal, type Program } from './run.js';

export type { Counts };

/** Suites whose material can be planned, with their cost tables and planned factories. */
const PLANNABLE: Readonly<
  Record<
    string,
    {
      table: CostTable;
      factory(plan: Counts): SuiteFactory;
      /** The material kinds with `parties` parties. */
      kinds(parties: number): string[];
    }
  >
> = {
  semi2k: {
    table: semi2kCost,
    factory: (plan) => semi2kFactory({ plan, strict: true }),
    kinds: () => Object.keys(SEMI2K_LAYOUTS),
  },
  spdz2k: {
    table: spdz2kCost,
    factory: (plan) => spdz2kFactory({ plan, strict: true }),
    kinds: (n) => Object.keys(spdz2kLayouts(n)),
  },
};

/** The names of the suites `planProgram` accepts. */
export const PLANNABLE_SUITES: readonly string[] = Object.keys(PLANNABLE);

export interface Plan {
  suite: string;
  parties: number;
  /** Material by kind; the same at every party (each generates its share of every item). */
  counts: Counts;
}

function plannable(suite: string) {
  const p = PLANNABLE[suite];
  if (!p)
    throw new RangeError(
      `plan: suite '${suite}' has no preprocessing to plan (suites with preprocessing: ${PLANNABLE_SUITES.join(', ')})`,
    );
  return p;
}

/**
 * Counts the material `program` consumes under `suite` with `parties`
 * parties, by a dry run in the clear.
 * @throws {RangeError} for a suite without preprocessing; whatever the
 *   program throws in the dry run; an Error if the parties' counts differ
 *   (a program whose primitives depend on who runs it cannot be planned).
 */
export async function planProgram<R>(
  program: Program<R>,
  suite: string,
  parties: number,
  crypto?: CryptoProvider,
): Promise<Plan> {
  const { table } = plannable(suite);
  const dry = countingSuite(suite, table);
  await runLocal(program, { suite: dry.factory, parties, crypto });
  const all = dry.counts();
  const first = canonical(all[0] ?? {});
  all.forEach((c, i) => {
    if (JSON.stringify(canonical(c)) !== JSON.stringify(first))
      throw new Error(
        `plan: party ${i + 1} would consume ${JSON.stringify(canonical(c))}, party 1 ${JSON.stringify(first)}; ` +
          'every party must run the same primitives for the material to be planned',
      );
  });
  return { suite, parties, counts: first };
}

/** A factory for `suite` that generates `counts` during setup and refuses to run out (strict). */
export function plannedSuite(suite: string, counts: Counts): SuiteFactory {
  return plannable(suite).factory(counts);
}

/** Kinds in a stable order, zero counts dropped. */
function canonical(c: Counts): Counts {
  const out: Counts = {};
  for (const k of Object.keys(c).sort()) if (c[k]! > 0) out[k] = c[k]!;
  return out;
}

/** Counts as `kind n, kind n` (kinds in the plan's order), or 'none'. */
export function formatCounts(counts: Counts): string {
  const kinds = Object.entries(counts);
  return kinds.length === 0 ? 'none' : kinds.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** A plan as a JSON text (for `entente plan --out` and `entente run --plan-file`). */
export function planToJson(plan: Plan): string {
  return `${JSON.stringify({ suite: plan.suite, parties: plan.parties, counts: plan.counts }, null, 2)}\n`;
}

/**
 * Reads a plan written by `planToJson`. `source` names it in errors.
 * @throws {RangeError} naming the source and the field that is wrong.
 */
export function planFromJson(text: string, source: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${source}: not JSON (${(e as Error).message})`);
  }
  const o = raw as { suite?: unknown; parties?: unknown; counts?: unknown };
  if (typeof raw !== 'object' || raw === null)
    throw new RangeError(`${source}: expected an object`);
  if (typeof o.suite !== 'string' || !PLANNABLE[o.suite])
    throw new RangeError(
      `${source}: suite: expected one of ${PLANNABLE_SUITES.join(', ')}, got ${JSON.stringify(o.suite)}`,
    );
  if (typeof o.parties !== 'number' || !Number.isInteger(o.parties) || o.parties < 2)
    throw new RangeError(
      `${source}: parties: expected an integer of at least 2, got ${JSON.stringify(o.parties)}`,
    );
  if (typeof o.counts !== 'object' || o.counts === null || Array.isArray(o.counts))
    throw new RangeError(`${source}: counts: expected an object of kind: count`);
  const counts: Counts = {};
  for (const [k, v] of Object.entries(o.counts)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new RangeError(
        `${source}: counts.${k}: expected a non-negative integer, got ${JSON.stringify(v)}`,
      );
    counts[k] = v;
  }
  const known = PLANNABLE[o.suite]!.kinds(o.parties);
  for (const k of Object.keys(counts))
    if (!known.includes(k))
      throw new RangeError(
        `${source}: counts.${k}: not a kind of ${o.suite} material with ${o.parties} parties (kinds: ${known.join(', ')})`,
      );
  return { suite: o.suite, parties: o.parties, counts };
}
