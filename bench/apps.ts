/**
 * `npm run bench -- apps [--members 200,2000] [--contributions 100x960,2000x4]`:
 *   - contributions from non-parties (src/api/contributions.ts): sealing at the
 *     contributor (ms per contribution), and collection by three rep3 nodes in this
 *     process (open, input, range checks; contributions/s, rounds, bytes), against
 *     summing the same values in the clear;
 *   - `entente demo pay-transparency` at each member count: MPC time, rounds and bytes
 *     against the same outputs computed in the clear.
 * Each size runs once (a first call: a user runs it once).
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import {
  collectContributions,
  contribute,
  contributionKeyPair,
  type Contribution,
  type ContributionSchema,
} from '../src/api/contributions.js';
import { runLocal } from '../src/api/run.js';
import { payMembers, payPlaintext, runPayTransparency } from '../src/apps/pay.js';

function option(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
}

async function contributions(m: number, k: number): Promise<void> {
  const schema: ContributionSchema = {
    collection: `bench-${m}x${k}`,
    fields: Array.from({ length: k }, (_, j) => ({ name: `f${j}`, min: 0, max: 1_000_000 })),
  };
  const keys = await Promise.all([0, 1, 2].map(() => contributionKeyPair()));
  const values = Array.from({ length: m }, (_, i) =>
    Array.from({ length: k }, (_, j) => (i * 7919 + j * 104729) % 1_000_001),
  );
  const t0 = performance.now();
  const list: Contribution[] = [];
  for (let i = 0; i < m; i++)
    list.push(
      await contribute(
        schema,
        keys.map((x) => x.publicKey),
        `c${i}`,
        values[i]!,
      ),
    );
  const sealMs = (performance.now() - t0) / m;
  const t1 = performance.now();
  const out = await runLocal(
    async (s) => {
      const c = await collectContributions(s, schema, list, keys[s.indexOf(s.me)]!.privateKey);
      return c.accepted.length;
    },
    { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
  );
  const secs = (performance.now() - t1) / 1000;
  const tp = performance.now();
  const sums = new Float64Array(k);
  for (const row of values) row.forEach((v, j) => (sums[j]! += v));
  const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
  const st = out[0]!.stats;
  console.log(
    `contributions ${m} x ${k} fields: seal ${sealMs.toFixed(1)} ms each at the contributor; ` +
      `collect ${secs.toFixed(2)} s (${(m / secs).toFixed(0)} contributions/s, ${((m * k) / secs / 1e3).toFixed(1)}k values/s), ` +
      `${st.rounds} rounds, ${(st.bytesSent / m / k).toFixed(0)} B per value per node; ` +
      `accepted ${out[0]!.result}/${m}; ${(secs / plainSecs).toFixed(0)}x summing in the clear`,
  );
}

export async function runAppsBench(args: string[]): Promise<void> {
  for (const spec of option(args, 'contributions', '100x960,2000x4').split(',')) {
    const [m, k] = spec.split('x').map(Number);
    if (!m || !k) throw new Error(`--contributions: expected MxK, got '${spec}'`);
    await contributions(m, k);
  }
  for (const n of option(args, 'members', '200,2000').split(',').map(Number)) {
    const tp = performance.now();
    payPlaintext(payMembers(n, 2026), 5);
    const plainSecs = Math.max((performance.now() - tp) / 1000, 1e-6);
    const r = await runPayTransparency({ members: n }, nodeCryptoProvider);
    console.log(
      `pay-transparency ${n} members: MPC ${r.secure.seconds.toFixed(2)} s, ${r.secure.rounds} rounds, ` +
        `${(r.secure.bytesSent / 1e6).toFixed(1)} MB sent by the 3 nodes; ${(r.secure.seconds / plainSecs).toFixed(0)}x the plaintext`,
    );
  }
}
