/**
 * A study whose data owners are not parties: each owner (a hospital among dozens) seals
 * its data as contributions (src/api/contributions.ts: additive parts modulo 2^64, HPKE
 * to each compute node) and may go offline; three compute nodes collect them and run
 * the study's analyses, releasing only the report.
 *
 * What an owner contributes, all computed on its own table in the clear, in one bundle
 * (one HPKE envelope per node, opened once by that node):
 *   - its local aggregates: every `SecretTable.aggregate` the analyses ask for (counts
 *     and sums per cell, survival risk sets, logistic cells...), found by running the
 *     analyses on its own table in a one-party plaintext session that nobody else sees
 *     (`localAggregates`); one record of one field per number;
 *   - its records, as many as its table has rows (for analyses that compute on records,
 *     such as the t-test): each column's value (a level's index for a categorical one,
 *     0 when missing) and, for a column that allows missing values, whether it is present.
 * The aggregates' layout (keys and lengths) comes from the study alone: the same
 * recording on a one-row placeholder table (`aggregateLayout`), at the owners and the nodes.
 *
 * The nodes keep an owner only when its bundle was accepted whole (every value within
 * its range); the bundle's record count makes each owner's row count public, as a
 * study's row counts always are. Aggregates are range-checked to |x| < 2^40 per owner and
 * otherwise trusted as an owner party's own inputs are in a study run by the owners.
 *
 * Security model: the compute nodes' suite (rep3: semi-honest, honest majority, so one
 * node learns nothing); the nodes learn the study, each owner's row count, which
 * contributions were dropped, and the report.
 */
import {
  ContributionError,
  collectBundles,
  contributeBundle,
  type Bundle,
  type ContributionSchema,
} from '../../api/contributions.js';
import { runLocal } from '../../api/run.js';
import type { Session } from '../../api/session.js';
import type { SecretInt } from '../../api/secret.js';
import { intTypeOf, SecretTable } from '../data/encode.js';
import type { Table } from '../data/table.js';
import { AnalysisContext } from './context.js';
import { isCounting, runCounting } from './counting.js';
import { isCrossSumsKey } from './linear.js';
import type { StudyOutcome } from './result.js';
import {
  checkRunnable,
  runAnalyses,
  StudyRefused,
  studyDigest,
  type RunStudyOptions,
} from './runner.js';
import type { Study } from './spec.js';
import { partiesWithOtherDigest } from '../../api/agree.js';

/** Bound on one owner's aggregate numbers (counts and sums of declared ranges). */
const AGGREGATE_LIMIT = 2 ** 40;

/** The schema of one record: a field per column, and `present:NAME` where values may be missing. */
export function recordSchema(study: Study): ContributionSchema {
  const fields: { name: string; min: number; max: number }[] = [];
  for (const c of study.schema.columns) {
    const missing = c.missing === 'allow';
    if (c.type === 'decimal')
      throw new ContributionError(
        `column '${c.name}': decimal columns cannot be contributed yet (integers, dates, booleans, categories only)`,
      );
    const [lo, hi] =
      c.type === 'categorical'
        ? [0, c.levels.length - 1]
        : c.type === 'boolean'
          ? [0, 1]
          : c.type === 'date'
            ? [c.minDay, c.maxDay]
            : [c.min, c.max];
    // A missing value is sent as 0.
    fields.push({
      name: c.name,
      min: missing ? Math.min(lo, 0) : lo,
      max: missing ? Math.max(hi, 0) : hi,
    });
    if (missing) fields.push({ name: `present:${c.name}`, min: 0, max: 1 });
  }
  return { collection: `${study.name}/records`, fields };
}

/** One record's values in recordSchema order. */
function recordValues(study: Study, own: Table, row: number): number[] {
  const out: number[] = [];
  for (const c of study.schema.columns) {
    const col = own.columns.get(c.name)!;
    const missing = col.missing?.[row] === 1;
    out.push(missing ? 0 : col.values[row]!);
    if (c.missing === 'allow') out.push(missing ? 0 : 1);
  }
  return out;
}

/** A one-row table of each column's lowest value: the analyses' layout needs some row. */
function placeholderTable(study: Study): Table {
  return {
    schema: study.schema,
    rows: 1,
    columns: new Map(
      study.schema.columns.map((c) => {
        const v =
          c.type === 'integer' || c.type === 'decimal'
            ? c.type === 'integer'
              ? c.min
              : c.minUnits
            : c.type === 'date'
              ? c.minDay
              : 0;
        return [
          c.name,
          {
            values: Float64Array.of(v),
            missing: c.missing === 'allow' ? new Uint8Array(1) : undefined,
          },
        ];
      }),
    ),
  };
}

/**
 * Every local aggregate the study's analyses ask for, computed on `own` in a one-party
 * plaintext session (in this process: nothing leaves it). An analysis that fails on one
 * owner's table alone (too few records for a model, say) has asked for its aggregates
 * by then; one that has not is caught at the nodes, which refuse a missing aggregate.
 */
export async function localAggregates(
  study: Study,
  own: Table,
  opts: RunStudyOptions = {},
): Promise<Map<string, bigint[]>> {
  const [outcome] = await runLocal(
    async (s) => {
      const table = await SecretTable.input(s, study.schema, own);
      for (const a of study.analyses) {
        const impl = isCounting(a) ? runCounting : opts.implementations?.[a.type];
        if (!impl) continue;
        try {
          await impl(new AnalysisContext(s, table, study), a);
        } catch {
          // See above: the aggregates were asked for first.
        }
      }
      const out = new Map<string, bigint[]>();
      for (const [key, x] of table.aggregates())
        if (!isCrossSumsKey(key))
          out.set(
            key,
            (await x.reveal()).map((v) => BigInt(v)),
          );
      return out;
    },
    { suite: 'plaintext', parties: ['owner'] },
  );
  return outcome!.result;
}

/** The aggregates' layout, from the study alone: key and length of each, in order. */
export async function aggregateLayout(
  study: Study,
  opts: RunStudyOptions = {},
): Promise<{ key: string; length: number }[]> {
  const some = await localAggregates(study, placeholderTable(study), opts);
  return [...some]
    .map(([key, v]) => ({ key, length: v.length }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

export function aggregateSchema(
  study: Study,
  layout: readonly { key: string; length: number }[],
): ContributionSchema {
  return {
    collection: `${study.name}/aggregates`,
    fields: layout.flatMap(({ key, length }) =>
      Array.from({ length }, (_, j) => ({
        name: `${key}#${j}`,
        min: -AGGREGATE_LIMIT,
        max: AGGREGATE_LIMIT,
      })),
    ),
  };
}

/**
 * An owner's side: its aggregates and records, sealed to the nodes' keys in one bundle
 * (sections: the aggregates, one record; the records, one per row). Runs where the
 * owner's data is (a browser included).
 * @throws {ContributionError} when an analysis did not compute one of its aggregates on
 *   this table, or a value is outside the study's declared ranges.
 */
export async function contributeOwner(
  study: Study,
  layout: readonly { key: string; length: number }[],
  owner: string,
  own: Table,
  nodeKeys: readonly Uint8Array[],
  opts: RunStudyOptions = {},
): Promise<Bundle> {
  const mine = await localAggregates(study, own, opts);
  const values: bigint[] = [];
  for (const { key, length } of layout) {
    const v = mine.get(key);
    if (!v || v.length !== length)
      throw new ContributionError(
        `owner ${owner}: the local aggregate ${key} could not be computed on its table`,
      );
    values.push(...v);
  }
  return contributeBundle([aggregateSchema(study, layout), recordSchema(study)], nodeKeys, owner, [
    [values],
    Array.from({ length: own.rows }, (_, i) => recordValues(study, own, i)),
  ]);
}

/**
 * The nodes' side: every compute node calls it with the same envelopes (one bundle per
 * owner) and its own private key; `study.parties` are the data owners. Returns the
 * report, as `runStudy` does, with each kept owner's row count and the dropped owners.
 * @throws {StudyRefused} before computing, as runStudy; ContributionError when the nodes'
 *   lists differ; TypeError when an analysis needs data that was not contributed.
 */
export async function runContributedStudy(
  s: Session,
  study: Study,
  layout: readonly { key: string; length: number }[],
  envelopes: readonly Bundle[],
  privateKey: Uint8Array,
  opts: RunStudyOptions = {},
): Promise<StudyOutcome & { readonly dropped: readonly string[] }> {
  const progress = opts.progress ?? (() => undefined);
  if (study.join) throw new StudyRefused('a study with a join cannot take contributed data');
  checkRunnable(study, opts);
  const t0 = performance.now();
  const start = s.stats();
  const differ = await partiesWithOtherDigest(s, studyDigest(study));
  if (differ.length > 0)
    throw new StudyRefused(
      `nodes ${differ.join(', ')} hold a different study file; nothing was computed`,
    );

  progress("collecting the owners' aggregates and records");
  const c = await collectBundles(
    s,
    [aggregateSchema(study, layout), recordSchema(study)],
    envelopes,
    privateKey,
    progress,
  );
  const [aggValues, recValues] = c.values as [
    Readonly<Record<string, SecretInt>>,
    Readonly<Record<string, SecretInt>>,
  ];
  // Where each accepted bundle's aggregates and records start in the collected vectors.
  const aggStart: number[] = [];
  const recStart: number[] = [];
  let a = 0;
  let r = 0;
  for (const [nAgg, nRec] of c.records) {
    aggStart.push(a);
    recStart.push(r);
    a += nAgg!;
    r += nRec!;
  }
  // An owner counts only if its bundle was accepted with exactly one record of aggregates.
  const owners = study.parties.map((p) => p.id);
  const at = new Map(c.accepted.map((id, j) => [id, j]));
  const bad = new Set<string>();
  for (const x of c.rejected) bad.add(x.id);
  for (const o of owners) if (!at.has(o) || c.records[at.get(o)!]![0] !== 1) bad.add(o);
  for (const id of c.accepted) if (!owners.includes(id)) bad.add(id);
  const kept = owners.filter((o) => !bad.has(o));
  if (kept.length === 0) throw new StudyRefused("no data owner's contributions were all accepted");

  // Records, owner-major in the study's order, row order within an owner.
  const order = Uint32Array.from(
    kept.flatMap((o) => {
      const j = at.get(o)!;
      return Array.from({ length: c.records[j]![1]! }, (_, i) => recStart[j]! + i);
    }),
  );
  const rowCounts = new Map(
    owners.map((o) => [o, kept.includes(o) ? c.records[at.get(o)!]![1]! : 0]),
  );
  const pick = (x: SecretInt) => x.gather(order);
  const columns = new Map<string, unknown>();
  for (const col of study.schema.columns) {
    const x = pick(recValues[col.name]!);
    // Each value was checked against its field's range at collection.
    if (col.type === 'boolean') columns.set(`bool:${col.name}`, x.assumeBool());
    else columns.set(`int:${col.name}`, x.assumeBound(intTypeOf(col).bits));
    if (col.type === 'categorical') {
      const present =
        col.missing === 'allow' ? pick(recValues[`present:${col.name}`]!).eq(1) : undefined;
      columns.set(
        `onehot:${col.name}`,
        col.levels.map((_, l) => (present ? x.eq(l).and(present) : x.eq(l))),
      );
    }
    if (col.missing === 'allow') {
      const p = pick(recValues[`present:${col.name}`]!);
      columns.set(`present:${col.name}`, p.assumeBool());
    }
  }
  // Aggregates: each field summed over the kept owners.
  const keptAt = Uint32Array.from(kept.map((o) => aggStart[at.get(o)!]!));
  const aggLength = a;
  const growth = Math.ceil(Math.log2(Math.max(2, kept.length)));
  for (const { key, length } of layout) {
    const fields = Array.from({ length }, (_, j) => aggValues[`${key}#${j}`]!);
    const all = s.concat(fields);
    const m = kept.length;
    const idx = Uint32Array.from(
      { length: length * m },
      (_, t) => Math.floor(t / m) * aggLength + keptAt[t % m]!,
    );
    // Aggregate fields are within +-AGGREGATE_LIMIT (checked at collection): 41 bits; their sum
    // over m owners needs `growth` more.
    const summed = all
      .gather(idx)
      .assumeBound(41)
      .sumGroups(m)
      .assumeBound(41 + growth);
    columns.set(`agg:${key}`, summed);
  }
  const table = SecretTable.contributed(s, study.schema, rowCounts, columns);
  progress(
    `${table.rows} records from ${kept.length} owners${bad.size ? `; dropped owners: ${[...bad].join(', ')}` : ''}`,
  );
  const outcome = await runAnalyses(s, study, table, opts, t0, start);
  return { ...outcome, dropped: [...bad] };
}
