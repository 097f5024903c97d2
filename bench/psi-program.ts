/**
 * The program of `npm run bench -- psi`, run by each of two parties
 * (`entente run --federation`, suite semi2k). Sets come from fixed seeds
 * (benchmark data only): n 16-byte digests per side, half of them shared.
 * Each case is timed at each party from its call to its result; the
 * benchmark reports the slower party.
 */
import type { Session } from '../src/index.js';
import { int } from '../src/api/types.js';
import { ecdhPsi, otPsi, otPsiCount, otPsiSum, psiSum, releasePsiSum } from '../src/psi/index.js';
import { Prg } from '../src/random/prg.js';

export interface PsiBenchCase {
  protocol: 'ot' | 'ecdh';
  output: string;
  n: number;
  seconds: number;
  bytesSent: number;
  shared: number | string;
}

function digests(s: Session, n: number): Uint8Array {
  const seed = (k: number) => new Uint8Array(16).fill(k);
  const half = n >>> 1;
  const out = new Uint8Array(16 * n);
  out.set(new Prg(seed(1), s.party.crypto).bytes(16 * half), 0);
  out.set(new Prg(seed(s.me === 'p1' ? 2 : 3), s.party.crypto).bytes(16 * (n - half)), 16 * half);
  return out;
}

export default async function psiBench(s: Session): Promise<PsiBenchCase[]> {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const list = (v: string | undefined, d: string) =>
    (v ?? d).split(',').filter(Boolean).map(Number);
  const otSizes = list(env.ENTENTE_BENCH_PSI_OT, '65536,1048576');
  const ecdhSizes = list(env.ENTENTE_BENCH_PSI_ECDH, '65536');
  const otOutputs = new Set(
    (env.ENTENTE_BENCH_PSI_OT_OUTPUTS || 'receiver,both,cardinality,sum').split(','),
  );
  // The plaintext sum of the sender's values (k mod 1000 at position k) over the shared half.
  const plainSum = (n: number) => {
    let t = 0;
    for (let k = 0; k < n >>> 1; k++) t += k % 1000;
    return t;
  };
  const out: PsiBenchCase[] = [];
  const timed = async (
    protocol: 'ot' | 'ecdh',
    output: string,
    n: number,
    f: () => Promise<number | string>,
  ) => {
    const before = s.stats().bytesSent;
    const t = performance.now();
    const shared = await f();
    const c = {
      protocol,
      output,
      n,
      seconds: (performance.now() - t) / 1000,
      bytesSent: s.stats().bytesSent - before,
      shared,
    };
    out.push(c);
    // Progress on stderr (long ECDH runs): the table comes at the end.
    console.error(
      `${s.me}: ${protocol} ${output} n=${n}: ${c.seconds.toFixed(2)} s, ${(c.bytesSent / 1e6).toFixed(1)} MB sent`,
    );
  };
  for (const n of otSizes) {
    const d = digests(s, n);
    for (const output of ['receiver', 'both'] as const)
      if (otOutputs.has(output))
        await timed('ot', `intersection (${output})`, n, async () => {
          const r = await otPsi(s.party, d, { receiver: 0, sender: 1, output });
          return r.intersection?.length ?? '-';
        });
    if (otOutputs.has('cardinality'))
      await timed('ot', 'cardinality', n, async () => {
        const c = await otPsiCount(s, d, { valuesFrom: 'p2', other: 'p1' });
        return String((await c.reveal())[0]);
      });
    const values = s.me === 'p2' ? Array.from({ length: n }, (_, k) => k % 1000) : undefined;
    if (otOutputs.has('sum'))
      await timed('ot', 'sum (released, min 100)', n, async () => {
        const r = await otPsiSum(s, d, values, { valuesFrom: 'p2', other: 'p1', type: int(16) });
        const rel = await releasePsiSum(s, r, { minIntersection: 100 });
        return `sum ${rel.sum} (plaintext ${plainSum(n)})`;
      });
  }
  for (const n of ecdhSizes) {
    const d = digests(s, n);
    await timed('ecdh', 'intersection', n, async () => {
      const r = await ecdhPsi(s.party, d, { receiver: 0, sender: 1, mode: 'intersection' });
      return r.intersection?.length ?? '-';
    });
    await timed('ecdh', 'cardinality', n, async () => {
      const r = await ecdhPsi(s.party, d, { receiver: 0, sender: 1, mode: 'cardinality' });
      return r.cardinality ?? '-';
    });
    const values = s.me === 'p2' ? Array.from({ length: n }, (_, k) => k % 1000) : undefined;
    await timed('ecdh', 'sum (released, min 100)', n, async () => {
      const r = await psiSum(s, d, values, { valuesFrom: 'p2', other: 'p1', type: int(16) });
      const rel = await releasePsiSum(s, r, { minIntersection: 100 });
      return `sum ${rel.sum} (plaintext ${plainSum(n)})`;
    });
  }
  return out;
}
