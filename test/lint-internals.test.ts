/**
 * The lint rule of issue 19 item 4: above the program API, a secret's
 * internals (its shares, its session, Session.wrap, the suite) are refused;
 * the same code inside src/api is accepted (the positive control that the
 * rule is scoped, not switched off).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

const INTERNALS = `
import type { Session } from '../../api/session.js';
import { SecretInt } from '../../api/secret.js';
export function f(s: Session, x: SecretInt): unknown {
  const a = x.shares;
  const b = x.session;
  const c = s.wrap(x.type, x.shape, x.bound, a);
  const d = s.suite.name;
  const e = new SecretInt(b, x.type, x.shape, x.bound, a);
  return [b, c, d, e];
}
`;

const PUBLIC = `
import type { Session } from '../../api/session.js';
import type { SecretInt } from '../../api/secret.js';
export function f(s: Session, x: SecretInt): unknown {
  return [x.gather([0]).assumeBound(8), x.belongsTo(s), s.suiteName];
}
`;

async function restricted(code: string, filePath: string): Promise<number[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.line);
}

describe('lint: no secret internals above the program API', () => {
  it('refuses .shares, .session, .wrap(, .suite and constructors in the statistics layer, PSI and apps', async () => {
    for (const file of ['src/analytics/study/x.ts', 'src/psi/x.ts', 'src/apps/x.ts']) {
      expect(await restricted(INTERNALS, file), file).toEqual([5, 6, 7, 8, 9]);
    }
  });

  it("refuses shares, wrap and constructors in the statistics engine outside fx.ts (Fx's session and suite stay)", async () => {
    expect(await restricted(INTERNALS, 'src/analytics/stats/x.ts')).toEqual([5, 7, 9]);
    expect(await restricted(INTERNALS, 'src/analytics/stats/fx.ts')).toEqual([]);
  });

  it('accepts the public operations there, and the internals inside src/api', async () => {
    expect(await restricted(PUBLIC, 'src/analytics/study/x.ts')).toEqual([]);
    expect(await restricted(INTERNALS, 'src/api/x.ts')).toEqual([]);
  });
});
