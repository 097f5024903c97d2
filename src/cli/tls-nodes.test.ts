/**
 * runOverTls: three parties in this process over TLS 1.3 on 127.0.0.1 compute what the
 * same program computes in memory, and their links carry the bytes.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../api/run.js';
import { int } from '../api/types.js';
import type { Session } from '../api/session.js';
import { runOverTls } from './tls-nodes.js';

const program = async (s: Session) => {
  const xs = s.parties.map((p, i) => s.input(p, int(16), p === s.me ? [1000 * (i + 1), -7] : 2));
  const all = s.concat(xs);
  return (await all.mul(all).sum().reveal()).map(Number);
};

describe('runOverTls', () => {
  it('three rep3 nodes over TLS give the in-memory answer', async () => {
    const ids = ['node-1', 'node-2', 'node-3'];
    const tls = await runOverTls(program, ids);
    const mem = await runLocal(program, { suite: 'rep3', parties: ids });
    const want = [1000 ** 2 + 2000 ** 2 + 3000 ** 2 + 3 * 49];
    expect(tls.map((o) => o.result)).toEqual([want, want, want]);
    expect(mem[0]!.result).toEqual(want);
    expect(tls.map((o) => o.party)).toEqual(ids);
    for (const o of tls) expect(o.stats.bytesSent).toBeGreaterThan(0);
  });
});
