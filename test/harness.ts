/**
 * Test harness: runs a program under a suite with every party in memory and
 * checks all parties agree on the result. Uses node:crypto's AES (tests run
 * on Node) and a seeded reordering of message delivery to shake out ordering bugs.
 */
import { nodeCryptoProvider } from '../src/adapters/node/crypto.js';
import { runLocal, type Program } from '../src/api/run.js';

/** Suite configurations every operation is tested under. */
export const CONFIGS = [
  { suite: 'plaintext', parties: 1 },
  { suite: 'plaintext', parties: 3 },
  { suite: 'rep3', parties: 3 },
  { suite: 'shamir', parties: 3 },
  { suite: 'shamir', parties: 5 },
  { suite: 'shamir', parties: 7 },
  { suite: 'semi2k', parties: 2 },
  { suite: 'semi2k', parties: 3 },
] as const;

export type Config = { suite: string; parties: number };

/**
 * Configurations test/operations.test.ts runs beside CONFIGS (the suites
 * that take the whole API but are too slow for every other test file). A
 * file that re-runs operations.test.ts under a suite of its own empties it.
 */
export const OPERATION_EXTRAS: Config[] = [{ suite: 'yao', parties: 2 }];

export function label(c: Config): string {
  return `${c.suite}(n=${c.parties})`;
}

/** A small deterministic generator for test data (xorshift; never used for secrets). */
export function testRng(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Runs `program` at every party; returns party 0's result after checking all agree. */
export async function run<R>(
  c: Config,
  program: Program<R>,
  opts: { reorder?: boolean } = {},
): Promise<R> {
  const rng = testRng(7);
  const outs = await runLocal(program, {
    suite: c.suite,
    parties: c.parties,
    crypto: nodeCryptoProvider,
    roundTimeoutMs: 20_000,
    ...(opts.reorder === false ? {} : { reorder: rng }),
  });
  const first = JSON.stringify(outs[0]!.result, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v,
  );
  for (const o of outs) {
    const mine = JSON.stringify(o.result, (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v,
    );
    if (mine !== first)
      throw new Error(`parties disagree: ${outs[0]!.party} got ${first}, ${o.party} got ${mine}`);
  }
  return outs[0]!.result;
}
