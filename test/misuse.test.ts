/** Misuse of secrets is refused at the call, with an error that names the misuse. */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { bool, fixed, int, runLocal, SecretMisuseError, type Session } from '../src/index.js';
import { run } from './harness.js';

const cfg = { suite: 'rep3', parties: 3 };

describe('secrets refuse to become public values', () => {
  it('throws on valueOf, string conversion, JSON and comparison operators', async () => {
    const errors = await run(cfg, async (s) => {
      const x = s.input('p1', int(32), s.me === 'p1' ? [1] : 1);
      const y = s.input('p1', int(32), s.me === 'p1' ? [2] : 1);
      const caught: string[] = [];
      const attempt = (f: () => unknown) => {
        try {
          f();
          caught.push('no error');
        } catch (e) {
          caught.push(e instanceof SecretMisuseError ? 'misuse' : String(e));
        }
      };
      attempt(() => x.valueOf());
      attempt(() => `${x as unknown as string}`);
      attempt(() => 'x = ' + (x as unknown as string));
      attempt(() => JSON.stringify({ x }));
      attempt(() => (x as unknown as number) < (y as unknown as number));
      attempt(() => +(x as unknown as number));
      attempt(() => String(x));
      await x.reveal();
      return caught;
    });
    expect(errors).toEqual(Array(7).fill('misuse'));
  });

  it('never shows a share when inspected', async () => {
    const shown = await run(cfg, async (s) => {
      const x = s.input('p1', int(16), s.me === 'p1' ? [42, 43] : 2);
      const { inspect } = await import('node:util');
      return inspect(x);
    });
    expect(shown).toBe('Secret<int(16) [2]>');
  });
});

describe('values of different types or sessions cannot be combined', () => {
  it('refuses to mix int, fixed and bool, or fixed formats; combines int widths', async () => {
    const r = await run(cfg, async (s) => {
      const a = s.input('p1', int(32), s.me === 'p1' ? [1] : 1);
      const b = s.input('p1', fixed(), s.me === 'p1' ? [1.5] : 1);
      const c = s.input('p1', int(16), s.me === 'p1' ? [-3] : 1);
      const d = s.input('p1', fixed({ frac: 8 }), s.me === 'p1' ? [1.5] : 1);
      const e = s.input('p1', bool, s.me === 'p1' ? [true] : 1);
      const out: string[] = [];
      const attempts = [
        () => a.add(b as never),
        () => b.mul(d),
        () => a.lt(e as never),
        () => e.select(a, b as never),
      ];
      for (const f of attempts) {
        try {
          f();
          out.push('no error');
        } catch (err) {
          out.push(`${(err as Error).name}: ${(err as Error).message}`);
        }
      }
      // Integers of different widths combine: the bound tracks the true range.
      const mixed = await s.revealAll([a.mul(c), a.lt(c)]);
      return { out, mixed };
    });
    expect(r.out[0]).toMatch(/^TypeError: add: cannot combine int\(32\) with fixed/);
    expect(r.out[1]).toMatch(
      /^TypeError: mul: cannot combine fixed\(32, frac 16\) with fixed\(32, frac 8\)/,
    );
    expect(r.out[2]).toMatch(/^TypeError: lt: cannot combine int\(32\) with bool/);
    expect(r.out[3]).toMatch(/^TypeError: select: branches have different types/);
    expect(r.mixed).toEqual([[-3n], [false]]);
  });

  it('refuses secrets of another session, and reveals through another session', async () => {
    // Two concurrent sessions in one process; party p1 of each trades a secret.
    const holder: { s?: Session; x?: ReturnType<Session['input']> } = {};
    let release: () => void = () => undefined;
    const ready = new Promise<void>((r) => (release = r));
    const first = runLocal(
      async (s) => {
        const x = s.input('p1', int(8), s.me === 'p1' ? [5] : 1);
        if (s.me === 'p1') {
          holder.s = s;
          holder.x = x;
          release();
        }
        return x.reveal();
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    await ready;
    const results = await runLocal(
      async (s) => {
        const y = s.input('p1', int(8), s.me === 'p1' ? [6] : 1);
        const out: string[] = [];
        for (const f of [
          () => y.add(holder.x as never),
          () => s.concat([y, holder.x as never]),
          () => s.revealAll([holder.x!]),
        ]) {
          try {
            await f();
            out.push('no error');
          } catch (e) {
            out.push((e as Error).name);
          }
        }
        await y.reveal();
        return out;
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    await first;
    expect(results[0]!.result).toEqual([
      'SecretMisuseError',
      'SecretMisuseError',
      'SecretMisuseError',
    ]);
  });
});

describe('inputs are checked at the boundary', () => {
  it('rejects out-of-range, non-integer and wrong-kind values with the element index', async () => {
    const msgs = await run({ suite: 'plaintext', parties: 1 }, async (s) => {
      const out: string[] = [];
      const attempts = [
        () => s.input('p1', int(8), [1, 128]),
        () => s.input('p1', int(8), [1.5]),
        () => s.input('p1', fixed(), [Number.NaN]),
        () => s.input('p1', fixed(), [40000]),
        () => s.input('p1', bool, [2]),
        () => s.input('nobody', int(8), [1]),
        () => s.input('p1', int(8), 3),
      ];
      for (const f of attempts) {
        try {
          f();
          out.push('no error');
        } catch (e) {
          out.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      return out;
    });
    expect(msgs).toEqual([
      "RangeError: input from 'p1': element 1: out of range for int(8)",
      "TypeError: input from 'p1': element 0: expected a safe integer or bigint for int(8), got a non-integer number",
      "TypeError: input from 'p1': element 0: expected a finite number for fixed(32, frac 16), got NaN",
      "RangeError: input from 'p1': element 0: out of range for fixed(32, frac 16)",
      "TypeError: input from 'p1': element 0: expected a boolean for bool, got number",
      "RangeError: unknown party 'nobody' (parties: p1)",
      "TypeError: input: party 'p1' owns this input and must pass its values, not a length",
    ]);
  });
});

describe('reveal to named parties', () => {
  it('gives the value to recipients only, and says so to the others', async () => {
    const outs = await runLocal(
      async (s) => {
        const x = s.input('p2', int(32), s.me === 'p2' ? [7, -7] : 2);
        return x.revealTo(['p1', 'p3']);
      },
      { suite: 'rep3', parties: 3, crypto: nodeCryptoProvider },
    );
    expect(outs.map((o) => o.result)).toEqual([
      { recipient: true, values: [7n, -7n] },
      { recipient: false },
      { recipient: true, values: [7n, -7n] },
    ]);
  });
});
