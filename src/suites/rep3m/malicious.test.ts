/**
 * Malicious tests of rep3m, after spdz2k's harness: one corrupted party
 * (party 2) adds an error to a share, a product it re-shares, an opened
 * value, an output, an input, a random bit's square, a message of the MAC
 * check, or sends an input differently to the two others; every honest party
 * must abort with a typed error (Rep3mAbort) naming the check, before any
 * output is released. The positive control runs the same attacks on a
 * deliberately broken build (the MAC check skipped): there they go through,
 * and the attacks that change a value release a wrong result.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { localParties } from '../../primitives/testing.js';
import type { ExchangeRequest, Party } from '../../runtime/party.js';
import { Rep3mAbort, Rep3mShares, Rep3mSuite, type Rep3mOptions } from './rep3m.js';

/**
 * What the parties compute: x + y, x y, (x y) y, or [x - y < 0]. Errors in
 * the second copy of a replicated component (the one the corrupted party
 * sends) only matter once a product uses it, hence 'mul2'.
 */
type Phase = 'output' | 'mul' | 'mul2' | 'compare';

interface Attack {
  readonly name: string;
  readonly phase: Phase;
  /** The check that must catch it (matched against the honest parties' errors). */
  readonly caughtBy: RegExp;
  /** With the check skipped, some honest party releases a wrong value. */
  readonly changesResult?: boolean;
  /** Installs the deviation at the corrupted party, before the computation. */
  readonly corrupt?: (p: Party) => void;
  /** Changes the corrupted party's shares of the value about to be revealed. */
  readonly tamperShares?: (x: Rep3mShares) => void;
}

/**
 * XORs `bits` into byte `at` of the first message named `op` the party sends
 * (to party `only`, or to every recipient).
 */
function tamperSend(
  p: Party,
  op: string,
  opts: { only?: number; at?: number; bits?: number } = {},
) {
  const ex = p.exchange.bind(p);
  let done = false;
  p.exchange = (req: ExchangeRequest) => {
    if (req.op !== op || done) return ex(req);
    done = true;
    const send = req.send.map((b, j) => {
      if (!b || (opts.only !== undefined && j !== opts.only)) return b;
      const c = b.slice();
      const at = opts.at ?? 0;
      c[at] = c[at]! ^ (opts.bits ?? 1);
      return c;
    });
    return ex({ ...req, send });
  };
}

const MAC_CHECK = /rep3m (mac-check|broadcast) failed/;

const ATTACKS: Attack[] = [
  {
    name: 'an error added to a share of the output',
    phase: 'output',
    caughtBy: MAC_CHECK,
    changesResult: true,
    tamperShares: (x) => void (x.a[0] = x.a[0]! + 1n),
  },
  {
    name: 'an error in bit 40 of a share',
    phase: 'output',
    caughtBy: MAC_CHECK,
    changesResult: true,
    tamperShares: (x) => void (x.a[0] = x.a[0]! + (1n << 40n)),
  },
  {
    name: 'an error added to a MAC share of the output',
    phase: 'output',
    caughtBy: /rep3m mac-check failed/,
    tamperShares: (x) => void (x.ma[0] = x.ma[0]! + 1n),
  },
  {
    name: 'an error above bit 64 of a share (no MAC fix-up)',
    phase: 'output',
    caughtBy: /rep3m mac-check failed/,
    tamperShares: (x) => void (x.a[1] = x.a[1]! + 1n),
  },
  {
    name: 'an error added to a re-shared product (additive attack)',
    phase: 'mul',
    caughtBy: MAC_CHECK,
    changesResult: true,
    corrupt: (p) => tamperSend(p, 'rep3m.mul'),
  },
  {
    name: "an error added to a re-shared product's MAC (used by a second product)",
    phase: 'mul2',
    caughtBy: /rep3m mac-check failed/,
    // Two products of 128 bits: the MAC part starts at byte 32.
    corrupt: (p) => tamperSend(p, 'rep3m.mul', { at: 32 }),
  },
  {
    name: 'a wrong opened output share',
    phase: 'output',
    caughtBy: MAC_CHECK,
    changesResult: true,
    corrupt: (p) => tamperSend(p, 'rep3m.output'),
  },
  {
    name: 'a wrong masked value inside a comparison',
    phase: 'compare',
    caughtBy: MAC_CHECK,
    corrupt: (p) => tamperSend(p, 'rep3m.mask'),
  },
  {
    name: "a wrong share of a random bit's square (still an odd square mod 8)",
    phase: 'compare',
    caughtBy: MAC_CHECK,
    corrupt: (p) => tamperSend(p, 'rep3m.bits.square', { bits: 8 }),
  },
  {
    name: 'an error in the product that squares a random bit',
    phase: 'compare',
    caughtBy: MAC_CHECK,
    corrupt: (p) => tamperSend(p, 'rep3m.bits.mul', { bits: 8 }),
  },
  {
    name: "a wrong authentication of an input's mask (used by a product)",
    phase: 'mul',
    caughtBy: /rep3m mac-check failed/,
    corrupt: (p) => tamperSend(p, 'rep3m.inmask'),
  },
  // (A different input difference sent to both parties alike is not an
  // attack: the owner may input any value.)
  {
    name: 'an input sent differently to the two parties (equivocation)',
    phase: 'output',
    caughtBy: /rep3m broadcast failed/,
    changesResult: true,
    corrupt: (p) => tamperSend(p, 'rep3m.input', { only: 0 }),
  },
  {
    name: 'a wrong masked value in the MAC check',
    phase: 'output',
    caughtBy: /rep3m mac-check failed/,
    corrupt: (p) => tamperSend(p, 'rep3m.check.z'),
  },
  {
    name: 'a MAC-check share that does not match its commitment',
    phase: 'output',
    caughtBy: /rep3m commitment failed/,
    corrupt: (p) => tamperSend(p, 'rep3m.check.open'),
  },
  {
    name: 'a coin that does not match its commitment',
    phase: 'output',
    caughtBy: /rep3m commitment failed/,
    corrupt: (p) => tamperSend(p, 'rep3m.coin.reveal'),
  },
];

interface Outcome {
  readonly outputs: Array<bigint[] | undefined>;
  readonly error: unknown;
}

const WANT: Record<Phase, bigint[]> = {
  output: [13n, 16n],
  mul: [30n, -80n],
  mul2: [300n, -1600n],
  compare: [1n, 1n],
};

/** Runs the computation with party 2 corrupted; returns each party's outputs and error. */
async function attack(a: Attack, opts: Rep3mOptions): Promise<Outcome[]> {
  const parties = localParties(3, nodeCryptoProvider, 20_000);
  const bad = 2;
  const runs = parties.map(async (p): Promise<Outcome> => {
    const outputs: Array<bigint[] | undefined> = [];
    const s = new Rep3mSuite(p, opts);
    try {
      await s.setup();
      if (p.index === bad) a.corrupt?.(p);
      // The corrupted party inputs, so input attacks come from it.
      const x = await s.input(bad, p.index === bad ? BigInt64Array.of(3n, -4n) : undefined, 2);
      const y = await s.input(0, p.index === 0 ? BigInt64Array.of(10n, 20n) : undefined, 2);
      let out: Rep3mShares;
      if (a.phase === 'mul') out = await s.mul(x, y);
      else if (a.phase === 'mul2') out = await s.mul(await s.mul(x, y), y);
      else if (a.phase === 'compare') out = await s.ltz(s.sub(x, y), 32);
      else out = s.add(x, y);
      if (p.index === bad) a.tamperShares?.(out);
      outputs.push(await s.open(out, [0, 1, 2]));
      return { outputs, error: undefined };
    } catch (e) {
      return { outputs, error: e };
    }
  });
  const honest = await Promise.all(runs.slice(0, 2));
  // The corrupted party may still wait for a message the honest ones, having
  // aborted, never send: hang up on it rather than wait for its deadline.
  if (honest.some((o) => o.error !== undefined)) parties[bad]!.close();
  return [...honest, await runs[bad]!];
}

const BROKEN: Rep3mOptions = { allowInsecure: true, testOnlySkipMacCheck: true };

function show(o: Outcome): string {
  return JSON.stringify(o.outputs, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
}

/** Every honest party aborted with Rep3mAbort (matching `reason`) and released nothing. */
function assertCaught(out: readonly Outcome[], reason: RegExp): void {
  out.slice(0, 2).forEach((o, i) => {
    if (!(o.error instanceof Rep3mAbort))
      throw new Error(
        `honest party ${i} did not abort with Rep3mAbort: ${String(o.error)} (outputs ${show(o)})`,
      );
    if (o.outputs.length !== 0) throw new Error(`honest party ${i} released an output`);
    expect(o.error.message).toMatch(reason);
  });
}

describe('rep3m malicious security (one corrupted party of three)', () => {
  for (const a of ATTACKS) {
    it(`${a.name}: every honest party aborts before any output`, async () => {
      assertCaught(await attack(a, {}), a.caughtBy);
    });
  }

  it('the honest run releases the right outputs (the attacks above are the only difference)', async () => {
    for (const phase of ['output', 'mul', 'mul2', 'compare'] as const) {
      const out = await attack({ name: 'none', phase, caughtBy: /./ }, {});
      for (const o of out) {
        expect(o.error).toBeUndefined();
        expect(o.outputs).toEqual([WANT[phase]]);
      }
    }
  });

  it('positive control: with the MAC check skipped (a broken build) the same attacks go through, with wrong results', async () => {
    for (const a of ATTACKS) {
      const out = await attack(a, BROKEN);
      expect(() => assertCaught(out, a.caughtBy), a.name).toThrow(/did not abort/);
      if (a.changesResult) {
        const wrong = out
          .slice(0, 2)
          .some((o) => show(o) !== show({ ...o, outputs: [WANT[a.phase]] }));
        expect(wrong, `${a.name}: an honest party released a wrong value`).toBe(true);
      }
    }
  });

  it('refuses the broken build without allowInsecure', () => {
    const [p] = localParties(3, nodeCryptoProvider);
    expect(() => new Rep3mSuite(p!, { testOnlySkipMacCheck: true })).toThrow(/allowInsecure/);
  });
});
