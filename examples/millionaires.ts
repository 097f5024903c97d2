/**
 * Yao's millionaires: who is richer, without saying how rich.
 *   npm run entente -- run examples/millionaires.ts --suite rep3 --parties 3
 * Party p1 and p2 input their wealth; p3 only helps compute. Everyone learns one bit.
 */
import { int, type Session } from '../src/index.js';

const WEALTH: Record<string, number> = { p1: 1_200_000, p2: 950_000 };

export default async function millionaires(s: Session): Promise<{ p1IsRicher: boolean }> {
  const p1 = s.input('p1', int(32), s.me === 'p1' ? [WEALTH.p1!] : 1);
  const p2 = s.input('p2', int(32), s.me === 'p2' ? [WEALTH.p2!] : 1);
  const [richer] = await p1.gt(p2).reveal();
  return { p1IsRicher: richer! };
}
