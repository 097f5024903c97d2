/**
 * `entente demo ads [--scale S] [--seed N] [--epsilon E] [--min-conversions K]`:
 * the conversion-lift app (src/apps/ads.ts), all three parties in this process.
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { runAds } from '../apps/ads.js';
import { EXIT, UsageError } from './exit.js';

function numberFlag(
  named: ReadonlyMap<string, string>,
  name: string,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  const v = named.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new UsageError(`--${name}: expected ${what}, got '${v}'`);
  return n;
}

export async function adsDemo(named: ReadonlyMap<string, string>): Promise<number> {
  const scale = numberFlag(named, 'scale', (n) => n > 0 && n <= 10, 'a number in (0, 10]');
  const seed = numberFlag(
    named,
    'seed',
    (n) => Number.isSafeInteger(n) && n >= 0,
    'an integer >= 0',
  );
  const epsilon = numberFlag(named, 'epsilon', (n) => n > 0 && n <= 64, 'a number in (0, 64]');
  const k = numberFlag(
    named,
    'min-conversions',
    (n) => Number.isSafeInteger(n) && n >= 0,
    'an integer >= 0',
  );
  await runAds({
    crypto: nodeCryptoProvider,
    ...(scale !== undefined ? { scale } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(epsilon !== undefined ? { epsilon } : {}),
    ...(k !== undefined ? { minConversions: k } : {}),
  });
  return EXIT.ok;
}
