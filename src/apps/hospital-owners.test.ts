/**
 * The bundled study with hospitals as data owners feeding three compute nodes: the
 * report equals the one the same hospitals compute as parties of the study (rep3), and
 * the owners' data is not touched once they have sealed their contributions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runLocal } from '../api/run.js';
import type { Table } from '../analytics/data/table.js';
import { parseStudyText } from '../analytics/study/parse.js';
import type { ResultRow } from '../analytics/study/result.js';
import { runStudy } from '../analytics/study/runner.js';
import { STATISTICS } from '../analytics/study/statistics.js';
import { contributionKeyPair } from '../api/contributions.js';
import {
  aggregateLayout,
  contributeOwner,
  runContributedStudy,
} from '../analytics/study/contributed.js';
import {
  COMPUTE_NODES,
  nodePhases,
  ownerIds,
  ownerTable,
  runHospitalOwners,
  withOwners,
} from './hospital-owners.js';

// Plus a linear regression and a correlation: the parties enter their exact cross sums,
// the nodes (whose owners contribute no cross sums) compute on the records.
const bundled = parseStudyText(
  readFileSync(new URL('../../examples/hospitals/study.yaml', import.meta.url), 'utf8') +
    `  - { id: recovery-model, type: linear-regression, outcome: recovery_days, predictors: [age, arm] }
  - { id: age-survival, type: correlation, x: age, y: survival_days }
`,
  'examples/hospitals/study.yaml',
);

/** A table whose every read throws once its owner is offline. */
function guarded(t: Table, offline: () => boolean): Table {
  const columns = new Proxy(t.columns, {
    get(target, prop, receiver) {
      if (offline()) throw new Error('an offline owner was asked for its data');
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ...t, columns };
}

const key = (r: ResultRow) => `${r.statistic}|${r.group}`;

describe('hospitals as data owners, three compute nodes', () => {
  it('the report equals the one with each hospital as a party; owners are offline during the run', async () => {
    const rows = [40, 25, 35];
    const tables = rows.map((n, i) => ownerTable(bundled, i, n, 7));
    const study = withOwners(bundled, ownerIds(3));
    // The reference: the same three hospitals as the parties of the study (rep3).
    const asParties = await runLocal(
      (s) =>
        runStudy(s, study, tables[study.parties.findIndex((p) => p.id === s.me)], {
          implementations: STATISTICS,
        }),
      { suite: 'rep3', parties: ownerIds(3) },
    );
    const want = asParties[0]!.result;

    let offline = false;
    const r = await runHospitalOwners(
      bundled,
      tables.map((t) => guarded(t, () => offline)),
      { onSealed: () => (offline = true) },
    );
    expect(offline).toBe(true);
    // The nodes' phases come from the first node's real progress lines and cover its time.
    const p = r.phases;
    for (const v of Object.values(p)) expect(v).toBeGreaterThanOrEqual(0);
    expect(p.open).toBeGreaterThan(0);
    expect(p.rangeCheck).toBeGreaterThan(0);
    expect(p.setup + p.open + p.rangeCheck + p.assemble + p.study).toBeCloseTo(r.seconds, 6);
    const got = r.outcome;
    expect(got.dropped).toEqual([]);
    expect(got.parties).toEqual(want.parties);
    expect(got.analyses.map((a) => a.id)).toEqual(want.analyses.map((a) => a.id));
    for (const [i, a] of got.analyses.entries()) {
      const w = want.analyses[i]!;
      expect(a.rows.map(key)).toEqual(w.rows.map(key));
      expect(a.rows.map((x) => x.suppressed)).toEqual(w.rows.map((x) => x.suppressed));
      // DP answers carry fresh noise in each run: only their shape is compared.
      if (w.dp) continue;
      a.rows.forEach((x, j) => {
        const y = w.rows[j]!;
        if (y.precision === 'exact') expect(x.value, `${a.id} ${key(x)}`).toBe(y.value);
        else if (typeof y.value === 'number')
          // Both runs round their fixed-point steps at random (probabilistic truncation);
          // each is within the stated precision, the logistic model's (1e-3) the widest.
          expect(Math.abs((x.value as number) - y.value), `${a.id} ${key(x)}`).toBeLessThanOrEqual(
            1e-3 * Math.max(1, Math.abs(y.value)),
          );
      });
    }
  });

  it("charges each interval between the first node's progress lines to the step that ends it", () => {
    const marks = [
      'collecting',
      'opened 3 x/aggregates envelopes',
      'range-checked 3 x/aggregates contributions of 9 fields',
      'opened 90 x/records envelopes',
      'range-checked 90 x/records contributions of 8 fields',
      '90 records from 3 owners',
      'analysis 1/1',
    ].map((message, i) => ({ message, at: [1, 2, 4, 7, 11, 16, 22][i]! }));
    expect(nodePhases(marks, 30)).toEqual({
      setup: 1,
      open: 1 + 3,
      rangeCheck: 2 + 4,
      assemble: 5,
      study: 14,
    });
    // Without the collection's lines (a failed run), everything is the study's.
    expect(nodePhases([], 3)).toEqual({ setup: 0, open: 0, rangeCheck: 0, assemble: 0, study: 3 });
  });

  it('an owner whose envelope is tampered, sealed to other keys or malformed is left out whole, named', async () => {
    const rows = [40, 25, 35, 20, 30];
    const owners = ownerIds(5);
    const tables = rows.map((n, i) => ownerTable(bundled, i, n, 9));
    const full = withOwners(bundled, owners);
    const study = { ...full, analyses: full.analyses.filter((a) => a.id === 'patients') };
    const opts = { implementations: STATISTICS };
    const keys = await Promise.all(COMPUTE_NODES.map(() => contributionKeyPair()));
    const otherKeys = await Promise.all(COMPUTE_NODES.map(() => contributionKeyPair()));
    const layout = await aggregateLayout(study, opts);
    const sealed = await Promise.all(
      tables.map((t, i) =>
        contributeOwner(
          study,
          layout,
          owners[i]!,
          t,
          (i === 2 ? otherKeys : keys).map((k) => k.publicKey),
          opts,
        ),
      ),
    );
    // One envelope per owner per node: aggregates and every record in one HPKE message.
    for (const b of sealed) expect(b.parts).toHaveLength(3);
    expect(sealed.map((b) => b.counts)).toEqual(rows.map((n) => [1, n]));
    // hospital-002's bundle, tampered on the way to node 2; hospital-003's sealed to
    // other nodes' keys; hospital-004's with a record count that does not fit the schemas.
    const b = sealed[1]!;
    const ct = b.parts[1]!.ct;
    sealed[1] = {
      ...b,
      parts: b.parts.map((p, i) =>
        i === 1 ? { ...p, ct: (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1) } : p,
      ),
    };
    sealed[3] = { ...sealed[3]!, counts: [20] };
    const outs = await runLocal(
      (s) => runContributedStudy(s, study, layout, sealed, keys[s.indexOf(s.me)]!.privateKey, opts),
      { suite: 'rep3', parties: [...COMPUTE_NODES] },
    );
    for (const { result: o } of outs) {
      expect([...o.dropped].sort()).toEqual(['hospital-002', 'hospital-003', 'hospital-004']);
      expect(o.parties.map((p) => p.rows)).toEqual([40, 0, 0, 0, 30]);
      // Patients per arm over hospitals 1 and 5 only, as counted in the clear.
      const arm = (t: (typeof tables)[number]) => t.columns.get('arm')!.values;
      const want = [0, 1].map((l) =>
        [tables[0]!, tables[4]!].reduce((a, t) => a + arm(t).filter((x) => x === l).length, 0),
      );
      expect(o.analyses[0]!.rows.map((r) => r.value)).toEqual(want);
    }
  });
});
