/**
 * The same program as bench/one-reveal-program.mjs in TypeScript, importing the
 * sources: what `entente local` runs through tsx (no build needed).
 */
import { int, type Session } from '../src/index.js';

export default async function oneReveal(s: Session): Promise<bigint[]> {
  const x = s.input('p1', int(32), s.me === 'p1' ? [42] : 1);
  return x.reveal();
}
