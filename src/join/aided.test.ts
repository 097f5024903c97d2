import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import { lookupJoin, type LookupJoinSpec } from './aided.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { JoinKeyError } from './keys.js';

/** A small seeded generator (test data only; no secrets). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

interface Case {
  tIds: string[];
  a: number[];
  b: bigint[];
  pIds: string[];
}

function randomCase(nT: number, nP: number, range: number, seed: number): Case {
  const r = lcg(seed);
  const draw = (n: number) => {
    const s = new Set<number>();
    while (s.size < n) s.add(r() % range);
    return [...s].map((k) => `person-${k}`);
  };
  const tIds = draw(nT);
  return {
    tIds,
    a: tIds.map(() => (r() % 9) - 4),
    b: tIds.map(() => BigInt(r()) * BigInt(r() % 4096) - (1n << 43n)),
    pIds: draw(nP),
  };
}

const SPEC = (c: Case): LookupJoinSpec => ({
  table: {
    party: 'pub',
    rows: c.tIds.length,
    columns: [
      { name: 'a', type: int(4) },
      { name: 'b', type: int(48) },
    ],
  },
  probe: { party: 'adv', rows: c.pIds.length },
  helper: 'helper',
});

/** Runs the join with all three parties and returns, per probe row in input order, [match, a, b]. */
async function secure(c: Case): Promise<[boolean, number, bigint][]> {
  const out = await runLocal(
    async (s) => {
      const j = await lookupJoin(
        s,
        SPEC(c),
        s.me === 'pub'
          ? { ids: c.tIds, columns: { a: c.a, b: c.b } }
          : s.me === 'adv'
            ? { ids: c.pIds }
            : undefined,
      );
      const [m, a, b] = await Promise.all([
        j.match.reveal(),
        j.columns.get('a')!.reveal(),
        j.columns.get('b')!.reveal(),
      ]);
      if (!j.order) return undefined;
      const rows: [boolean, number, bigint][] = new Array(j.rows);
      j.order.forEach((i, r) => (rows[i] = [m[r]!, Number(a[r]), b[r]!]));
      return rows;
    },
    { suite: 'rep3', parties: ['pub', 'adv', 'helper'], crypto: nodeCryptoProvider },
  );
  expect(out[0]!.result).toBeUndefined();
  expect(out[2]!.result).toBeUndefined();
  return out[1]!.result!;
}

function plain(c: Case): [boolean, number, bigint][] {
  const at = new Map(c.tIds.map((id, i) => [id, i]));
  return c.pIds.map((id) => {
    const i = at.get(id);
    return i === undefined ? [false, 0, 0n] : [true, c.a[i]!, c.b[i]!];
  });
}

describe('helper-aided lookup join (rep3)', () => {
  it('equals the plaintext lookup on random tables', async () => {
    for (const [nT, nP, range, seed] of [
      [300, 80, 400, 1],
      [50, 200, 240, 2],
      [1, 1, 1, 3],
    ] as const) {
      const c = randomCase(nT, nP, range, seed);
      const want = plain(c);
      expect(want.some((r) => r[0])).toBe(true);
      expect(await secure(c)).toEqual(want);
    }
  }, 30_000);

  it('edges: empty tables, no matches, all matches with extreme values', async () => {
    expect(await secure({ tIds: [], a: [], b: [], pIds: [] })).toEqual([]);
    expect(await secure({ tIds: [], a: [], b: [], pIds: ['x', 'y'] })).toEqual([
      [false, 0, 0n],
      [false, 0, 0n],
    ]);
    expect(await secure({ tIds: ['x'], a: [-8], b: [1n], pIds: [] })).toEqual([]);
    const none = randomCase(40, 30, 1000, 4);
    none.pIds = none.pIds.map((id) => `other-${id}`);
    expect(await secure(none)).toEqual(none.pIds.map(() => [false, 0, 0n]));
    const all: Case = {
      tIds: ['a', 'b', 'c', 'd'],
      a: [-8, 7, 0, -1],
      b: [-(1n << 47n), (1n << 47n) - 1n, 0n, -1n],
      pIds: ['d', 'c', 'b', 'a'],
    };
    expect(await secure(all)).toEqual(plain(all));
  }, 30_000);

  it('a message of the wrong length aborts naming the peer', async () => {
    const c = randomCase(20, 10, 30, 7);
    const run = runLocal(
      async (s) => {
        if (s.me === 'pub') {
          // The table's owner sends the helper one row short.
          const ex = s.party.exchange.bind(s.party);
          s.party.exchange = (req) =>
            req.op === 'join.lookup.tokens'
              ? ex({ ...req, send: req.send.map((m) => m?.subarray(0, m.length - 24)) })
              : ex(req);
        }
        const j = await lookupJoin(
          s,
          SPEC(c),
          s.me === 'pub'
            ? { ids: c.tIds, columns: { a: c.a, b: c.b } }
            : s.me === 'adv'
              ? { ids: c.pIds }
              : undefined,
        );
        return j.match.reveal();
      },
      { suite: 'rep3', parties: ['pub', 'adv', 'helper'], crypto: nodeCryptoProvider },
    );
    await expect(run).rejects.toThrow(ProtocolAbort);
    await expect(run).rejects.toThrow(
      /malformed \(peer pub\): join\.lookup\.tokens: expected 480 bytes, got 456/,
    );
  }, 30_000);

  it('refuses repeated ids (naming party and rows), bad values and a wrong session', async () => {
    const c = randomCase(5, 5, 10, 5);
    c.pIds[4] = c.pIds[0]!;
    await expect(secure(c)).rejects.toThrow(/party 'adv' has the same key at rows 1 and 5/);
    await expect(secure(c)).rejects.toBeInstanceOf(JoinKeyError);
    const d = randomCase(5, 5, 10, 6);
    d.a[2] = 8;
    await expect(secure(d)).rejects.toThrow(/party 'pub', column 'a', row 3: outside int\(4\)/);
    await expect(
      runLocal(async (s) => lookupJoin(s, SPEC(d), undefined), {
        suite: 'semi2k',
        parties: ['pub', 'adv'],
        crypto: nodeCryptoProvider,
      }),
    ).rejects.toThrow(/three-party session/);
  }, 30_000);
});
