/**
 * Malicious tests of spdz2k: one corrupted party adds an error somewhere;
 * every honest party must abort with a typed error (Spdz2kAbort) before any
 * output is released. The positive control runs the same attacks on a
 * deliberately broken build (the MAC check skipped): there the attacks go
 * through, so these tests would catch a build that skipped its checks.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { localParties } from '../../primitives/testing.js';
import type { ExchangeRequest, Party } from '../../runtime/party.js';
import type { Batch } from '../semi2k/material.js';
import { Spdz2kAbort } from './mac.js';
import { TAU } from './prep.js';
import { Spdz2kShares, Spdz2kSuite, type Spdz2kOptions } from './spdz2k.js';

type Phase = 'output' | 'mul' | 'compare';

interface Attack {
  readonly name: string;
  /** Which computation the parties run. */
  readonly phase: Phase;
  /** Only with at least this many parties. */
  readonly minParties?: number;
  /** Installs the deviation at the corrupted party, before the computation. */
  readonly corrupt?: (s: Spdz2kSuite, p: Party) => void;
  /** Changes the corrupted party's shares of the value about to be revealed. */
  readonly tamperShares?: (x: Spdz2kShares) => void;
}

/** Adds 1 to the first word the party sends in exchanges named `op` (to `only`, or to all). */
function tamperSend(p: Party, op: string, only?: number): void {
  const ex = p.exchange.bind(p);
  let done = false;
  p.exchange = (req: ExchangeRequest) => {
    if (req.op !== op || done) return ex(req);
    done = true;
    const send = req.send.map((b, j) => {
      if (!b || (only !== undefined && j !== only)) return b;
      const c = b.slice();
      c[0] = c[0]! ^ 1;
      return c;
    });
    return ex({ ...req, send });
  };
}

const ATTACKS: Attack[] = [
  {
    name: 'an error added to a share of the output',
    phase: 'output',
    tamperShares: (x) => void (x.x[0] = x.x[0]! + 1n),
  },
  {
    name: 'an error added to a MAC share of the output',
    phase: 'output',
    tamperShares: (x) => void (x.m[0] = x.m[0]! + 1n),
  },
  {
    name: 'an error in bit 40 of a share',
    phase: 'output',
    tamperShares: (x) => void (x.x[0] = x.x[0]! + (1n << 40n)),
  },
  {
    name: 'an error above bit 64 of a share (no MAC fix-up)',
    phase: 'output',
    tamperShares: (x) => void (x.x[1] = x.x[1]! + 1n),
  },
  {
    name: 'an error added to a triple',
    phase: 'mul',
    corrupt: (s) => {
      const take = s.take.bind(s);
      s.take = async (kind: string, n: number): Promise<Batch> => {
        const b = await take(kind, n);
        if (kind === 'triple') {
          const c = b.cols.c as BigUint64Array;
          c[0] = c[0]! + 5n;
        }
        return b;
      };
    },
  },
  {
    name: 'a wrong opened value in a multiplication',
    phase: 'mul',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.mul'),
  },
  {
    name: 'a wrong opened output share',
    phase: 'output',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.output'),
  },
  {
    name: 'a wrong masked value inside a comparison',
    phase: 'compare',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.mask'),
  },
  {
    name: 'a wrong input difference',
    phase: 'output',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.input'),
  },
  {
    name: 'an input sent differently to two parties (equivocation)',
    phase: 'output',
    minParties: 3,
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.input', 0),
  },
  {
    name: 'a wrong masked value in the MAC check',
    phase: 'output',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.check.z'),
  },
  {
    name: 'a MAC-check share that does not match its commitment',
    phase: 'output',
    corrupt: (_s, p) => tamperSend(p, 'spdz2k.check.open'),
  },
];

interface Outcome {
  readonly outputs: unknown[];
  readonly error: unknown;
}

/** Runs the computation with party n-1 corrupted; returns each party's outputs and error. */
async function attack(a: Attack, n: number, opts: Spdz2kOptions): Promise<Outcome[]> {
  const parties = localParties(n, nodeCryptoProvider, 20_000);
  const bad = n - 1;
  return Promise.all(
    parties.map(async (p): Promise<Outcome> => {
      const outputs: unknown[] = [];
      const s = new Spdz2kSuite(p, opts);
      try {
        await s.setup();
        if (p.index === bad) a.corrupt?.(s, p);
        // The corrupted party inputs, so input attacks come from it.
        const x = await s.input(bad, p.index === bad ? BigInt64Array.of(3n, -4n) : undefined, 2);
        const y = await s.input(0, p.index === 0 ? BigInt64Array.of(10n, 20n) : undefined, 2);
        let out: Spdz2kShares;
        if (a.phase === 'mul') out = await s.mul(x, y);
        else if (a.phase === 'compare') out = await s.ltz(s.sub(x, y), 32);
        else out = s.add(x, y);
        if (p.index === bad) a.tamperShares?.(out);
        outputs.push(
          await s.open(
            out,
            Array.from({ length: n }, (_, j) => j),
          ),
        );
        return { outputs, error: undefined };
      } catch (e) {
        return { outputs, error: e };
      }
    }),
  );
}

const DEALER: Spdz2kOptions = { preprocessing: 'insecureDealer', allowInsecure: true };
const BROKEN: Spdz2kOptions = { ...DEALER, testOnlySkipMacCheck: true };

/** Every honest party aborted with Spdz2kAbort and released nothing. */
function assertCaught(out: readonly Outcome[]): void {
  out.slice(0, -1).forEach((o, i) => {
    if (!(o.error instanceof Spdz2kAbort))
      throw new Error(
        `honest party ${i} did not abort with Spdz2kAbort: ${String(o.error)} (outputs ${JSON.stringify(o.outputs, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))})`,
      );
    if (o.outputs.length !== 0) throw new Error(`honest party ${i} released an output`);
  });
}

describe('spdz2k malicious security (online phase)', () => {
  for (const n of [2, 3]) {
    for (const a of ATTACKS) {
      if ((a.minParties ?? 2) > n) continue;
      it(`n=${n}: ${a.name}: every honest party aborts before any output`, async () => {
        assertCaught(await attack(a, n, DEALER));
      });
    }
  }

  it('the honest run releases the right outputs (the attacks above are the only difference)', async () => {
    for (const phase of ['output', 'mul', 'compare'] as const) {
      const out = await attack({ name: 'none', phase }, 3, DEALER);
      const want = { output: [13n, 16n], mul: [30n, -80n], compare: [1n, 1n] }[phase];
      for (const o of out) {
        expect(o.error).toBeUndefined();
        expect(o.outputs).toEqual([want]);
      }
    }
  });

  it('positive control: with the MAC check skipped (a broken build) the same attacks release outputs', async () => {
    for (const a of ATTACKS) {
      const n = a.minParties ?? 2;
      const out = await attack(a, n, BROKEN);
      expect(() => assertCaught(out), a.name).toThrow(/did not abort/);
    }
  });
});

/** Applies `f` to the words of the first message named `op` that the party sends (to each peer). */
function tamperWords(p: Party, op: string, f: (w: BigUint64Array) => void): void {
  const ex = p.exchange.bind(p);
  let done = false;
  p.exchange = (req: ExchangeRequest) => {
    if (req.op !== op || done) return ex(req);
    done = true;
    const send = req.send.map((b) => {
      if (!b) return b;
      const w = new BigUint64Array(b.slice().buffer);
      f(w);
      return new Uint8Array(w.buffer);
    });
    return ex({ ...req, send });
  };
}

/**
 * Deviations in preprocessing. Flipping one OT correction or one COPE block
 * would only be caught when the victim's secret bit is 1 (that is the
 * selective failure the protocol tolerates and hashes away); these add the
 * same error to every block of item 0, which is caught whatever the bits.
 */
const PREP_TAMPER: Record<string, (w: BigUint64Array) => void> = {
  // Corrections of triple 0: 128-bit words at OT index l (2 words each), l < TAU.
  'spdz2k.triple.corr': (w) => {
    for (let l = 0; l < TAU; l++) w[2 * l] = w[2 * l]! + 1n;
  },
  // COPE: 64 blocks (one per key bit) of 3-limb values; element 0 of each.
  'spdz2k.cope': (w) => {
    const blk = w.length / 64;
    for (let l = 0; l < 64; l++) w[l * blk] = w[l * blk]! + 1n;
  },
};

/** Runs preprocessing only (`what` items), party n-1 tampering with its messages named `op`. */
async function prepAttack(op: string | undefined, what: string, n: number, opts: Spdz2kOptions) {
  const parties = localParties(n, nodeCryptoProvider, 60_000);
  const bad = n - 1;
  return Promise.all(
    parties.map(async (p): Promise<Outcome> => {
      const outputs: unknown[] = [];
      const s = new Spdz2kSuite(p, opts);
      try {
        await s.setup();
        if (p.index === bad && op) {
          const f = PREP_TAMPER[op];
          if (f) tamperWords(p, op, f);
          else tamperSend(p, op);
        }
        const b = await s.take(what, 8);
        outputs.push(b.count);
        return { outputs, error: undefined };
      } catch (e) {
        return { outputs, error: e };
      }
    }),
  );
}

describe('spdz2k malicious security (OT preprocessing)', () => {
  const CASES: Array<[string, string, string, RegExp]> = [
    [
      'a wrong OT correction (a triple that is not a product)',
      'spdz2k.triple.corr',
      'triple',
      /sacrifice/,
    ],
    ['a wrong authentication message (MAC of another value)', 'spdz2k.cope', 'triple', /mac-check/],
    [
      'a wrong opened value in the sacrifice',
      'spdz2k.sacrifice.rho',
      'triple',
      /mac-check|sacrifice/,
    ],
    ['a wrong opened combination of random values', 'spdz2k.prep.combine', 'rand', /mac-check/],
    ['a wrong authentication of an input mask', 'spdz2k.cope', 'input1', /mac-check/],
  ];
  for (const [name, op, what, reason] of CASES) {
    it(`n=2: ${name}: every honest party aborts before the material is used`, async () => {
      const out = await prepAttack(op, what, 2, {});
      assertCaught(out);
      expect(String(out[0]!.error)).toMatch(reason);
    }, 60_000);
  }

  it('n=3: a wrong OT correction is caught by the sacrifice at both honest parties (chunks in flight)', async () => {
    const out = await prepAttack('spdz2k.triple.corr', 'triple', 3, { tripleChunk: 4 });
    assertCaught(out);
    for (const o of out.slice(0, 2)) expect(String(o.error)).toMatch(/sacrifice/);
  }, 90_000);

  it('positive control: with MAC checks skipped, a wrong authentication goes through', async () => {
    const out = await prepAttack('spdz2k.cope', 'rand', 2, {
      allowInsecure: true,
      testOnlySkipMacCheck: true,
    });
    expect(() => assertCaught(out)).toThrow(/did not abort/);
    const honest = await prepAttack(undefined, 'triple', 2, {});
    for (const o of honest) expect(o.outputs).toEqual([8]);
  }, 60_000);
});
