/**
 * TinyOT with one global Delta per party, and its authenticated AND
 * triples: the MACs' global Delta, leaky triples, bucketed triples and the
 * Beaver AND on them, against the plaintext AND of the XOR of every party's
 * shares (random bits and edges: empty, length 1, all-zero and all-one
 * inputs). Malicious runs: a corrupted party deviates in each step of the
 * triple protocol (half-AND messages, the broadcast differences, a flipped
 * triple share, a flipped triple MAC, the check's commitment, a bucket
 * opening) and every honest party aborts; the positive control switches the
 * triple check off and a wrong triple goes through.
 */
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../adapters/node/crypto.js';
import { localParties } from '../../primitives/testing.js';
import type { ExchangeRequest, Party } from '../../runtime/party.js';
import { Spdz2kAbort } from './mac.js';
import { bucketSize, TinyOt, type AuthTriples, type TinyOtOptions } from './tinyot.js';

function randomBits(n: number): Uint8Array {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  for (let i = 0; i < n; i++) b[i] = b[i]! & 1;
  return b;
}

const hex = (w: Uint32Array, i: number) => Array.from(w.subarray(4 * i, 4 * i + 4)).join(',');

describe('tinyot bucket size (WRK17, sigma = 40)', () => {
  it('B = ceil(1 + 40 / log2 N)', () => {
    expect(bucketSize(1)).toBe(41);
    expect(bucketSize(2)).toBe(41);
    expect(bucketSize(1 << 11)).toBe(5);
    expect(bucketSize(1 << 14)).toBe(4);
    expect(bucketSize(1 << 20)).toBe(3);
    expect(bucketSize(1 << 20, 80)).toBe(5);
    expect(() => bucketSize(0)).toThrow(RangeError);
    expect(() => bucketSize(1.5)).toThrow(RangeError);
  });
});

describe('tinyot AND triples', () => {
  for (const n of [2, 3]) {
    it(`n=${n}: one global Delta per party; triples and AND open to the plaintext`, async () => {
      const N = 100;
      const parties = localParties(n, nodeCryptoProvider, 30_000);
      // Party 1's inputs: all four input pairs at the front, then random.
      const a1 = randomBits(N);
      const b1 = randomBits(N);
      a1.set([0, 0, 1, 1]);
      b1.set([0, 1, 0, 1]);
      const out = await Promise.all(
        parties.map(async (p) => {
          const t = new TinyOt(p);
          const bits = await t.random(N);
          const leaky = await t.leakyAnd(N);
          const good = await t.andTriples(N);
          const one = await t.andTriples(1);
          const none = await t.andTriples(0);
          const a = await t.input(1, N, p.index === 1 ? a1 : undefined);
          const b = await t.input(1, N, p.index === 1 ? b1 : undefined);
          const ab = await t.and(a, b, good);
          // Edges: x & 0, x & 1, x & x, and an empty AND.
          const more = await t.andTriples(3 * N);
          const zeros = t.xorPublic(a, a1.slice()); // the all-zero vector
          const ones = t.not(zeros);
          const tri = (k: number): AuthTriples => ({
            x: t.slice(more.x, k * N, (k + 1) * N),
            y: t.slice(more.y, k * N, (k + 1) * N),
            z: t.slice(more.z, k * N, (k + 1) * N),
          });
          const a0 = await t.and(a, zeros, tri(0));
          const aOne = await t.and(a, ones, tri(1));
          const aa = await t.and(a, a, tri(2));
          const empty = await t.and(t.slice(a, 0, 0), t.slice(b, 0, 0), none);
          const triples = [leaky, good, one, none];
          const opened = await Promise.all(
            [...triples.flatMap((q) => [q.x, q.y, q.z]), ab, a0, aOne, aa, empty].map((v) =>
              t.open(v),
            ),
          );
          await t.check();
          return { p, bits, opened };
        }),
      );
      // Global Delta: for every party j, K_j[x_i] ^ M_j[x_i] is 0 where
      // x_i = 0 and one and the same value Delta_j where x_i = 1, for all i.
      for (let j = 0; j < n; j++) {
        const deltas = new Set<string>();
        for (let i = 0; i < n; i++) {
          if (i === j) continue;
          const K = out[j]!.bits.key[i]!;
          const M = out[i]!.bits.mac[j]!;
          const D = new Uint32Array(K.length);
          for (let w = 0; w < K.length; w++) D[w] = K[w]! ^ M[w]!;
          for (let k = 0; k < N; k++) {
            if (out[i]!.bits.x[k] === 1) deltas.add(hex(D, k));
            else expect(hex(D, k)).toBe('0,0,0,0');
          }
        }
        expect(deltas.size).toBe(1);
        expect([...deltas][0]).not.toBe('0,0,0,0');
      }
      for (const o of out) expect(o.opened).toEqual(out[0]!.opened);
      const v = out[0]!.opened;
      for (let q = 0; q < 4; q++) {
        const [x, y, z] = [v[3 * q]!, v[3 * q + 1]!, v[3 * q + 2]!];
        expect(z, `triples ${q}`).toEqual(x.map((xi, i) => xi & y[i]!));
        expect(x.length).toBe([N, N, 1, 0][q]);
      }
      // Random triples are not constant.
      expect(v[3]!.some((b) => b === 1) && v[3]!.some((b) => b === 0)).toBe(true);
      expect(v[12]).toEqual(a1.map((ai, i) => ai & b1[i]!));
      expect(v[13]).toEqual(new Uint8Array(N));
      expect(v[14]).toEqual(a1);
      expect(v[15]).toEqual(a1);
      expect(v[16]).toEqual(new Uint8Array(0));
    }, 60_000);
  }
});

/** Changes the first message of exchange `op` at the corrupted party (to `only`, or to every peer). */
function tamperSend(p: Party, op: string, change: (b: Uint8Array) => void, only?: number): void {
  const ex = p.exchange.bind(p);
  let done = false;
  p.exchange = (req: ExchangeRequest) => {
    if (req.op !== op || done) return ex(req);
    done = true;
    const send = req.send.map((b, j) => {
      if (!b || (only !== undefined && j !== only)) return b;
      const c = b.slice();
      change(c);
      return c;
    });
    return ex({ ...req, send });
  };
}

interface Attack {
  readonly name: string;
  /** Party count (default 2); party 0 is corrupted. */
  readonly parties?: number;
  readonly corrupt?: (p: Party) => void;
  readonly tamper?: (t: AuthTriples) => void;
  readonly checks: readonly string[];
}

const N_ATTACK = 64;
/** Bytes of one packed bit vector of the leaky triples behind N_ATTACK triples. */
const NB = (bucketSize(N_ATTACK) * N_ATTACK) / 8;

const ATTACKS: Attack[] = [
  {
    // Flipping both h_0 and h_1 of triple 0 changes z~ whatever x is.
    name: 'wrong half-AND messages',
    corrupt: (p) =>
      tamperSend(p, 'tinyot.and.half', (b) => {
        b[0] = b[0]! ^ 1;
        b[NB] = b[NB]! ^ 1;
      }),
    checks: ['sacrifice'],
  },
  {
    // A wrong U_i reaches the check only where the receiver's x_i = 1 (the
    // selective failure that leaks x, which bucketing absorbs): so change
    // the first 64 triples' U, and the check fails unless all 64 x_i are 0.
    name: 'wrong check values U',
    corrupt: (p) =>
      tamperSend(p, 'tinyot.and.half', (b) => {
        for (let i = 0; i < 64; i++) b[2 * NB + 16 * i] = b[2 * NB + 16 * i]! ^ 1;
      }),
    checks: ['sacrifice'],
  },
  {
    name: 'a wrong broadcast difference e',
    corrupt: (p) => tamperSend(p, 'tinyot.and.e', (b) => void (b[0] = b[0]! ^ 1)),
    checks: ['sacrifice'],
  },
  {
    name: 'a flipped z share with its MACs kept',
    tamper: (t) => void (t.z.x[0] = t.z.x[0]! ^ 1),
    checks: ['sacrifice'],
  },
  {
    name: 'a flipped x share with its MACs kept',
    tamper: (t) => void (t.x.x[5] = t.x.x[5]! ^ 1),
    checks: ['sacrifice', 'mac-check'],
  },
  {
    name: 'a flipped z MAC',
    tamper: (t) => {
      const m = t.z.mac.find((w) => w !== undefined)!;
      m[0] = m[0]! ^ 1;
    },
    checks: ['sacrifice'],
  },
  {
    name: 'a check value that does not match its commitment',
    corrupt: (p) => tamperSend(p, 'tinyot.and.open', (b) => void (b[20] = b[20]! ^ 1)),
    checks: ['commitment'],
  },
  {
    name: 'a wrong share in the bucket opening',
    corrupt: (p) => tamperSend(p, 'tinyot.and.bucket', (b) => void (b[0] = b[0]! ^ 1)),
    checks: ['mac-check'],
  },
  {
    name: 'wrong half-AND messages to one peer only',
    parties: 3,
    corrupt: (p) =>
      tamperSend(
        p,
        'tinyot.and.half',
        (b) => {
          b[0] = b[0]! ^ 1;
          b[NB] = b[NB]! ^ 1;
        },
        1,
      ),
    checks: ['sacrifice'],
  },
  {
    name: 'a broadcast difference e equivocated (one peer sees another)',
    parties: 3,
    corrupt: (p) => tamperSend(p, 'tinyot.and.e', (b) => void (b[0] = b[0]! ^ 1), 2),
    checks: ['sacrifice', 'broadcast', 'mac-check'],
  },
];

/**
 * Party 0 corrupted: N_ATTACK bucketed triples, opened after their checks.
 * Settles with the honest party (and the corrupted one too when `both`: a
 * corrupted party whose checks passed would otherwise wait for a round
 * timeout after the honest party stopped).
 */
async function attackRun(
  attack: Attack,
  opts: TinyOtOptions,
  both = false,
): Promise<Array<PromiseSettledResult<Uint8Array[]>>> {
  const parties = localParties(attack.parties ?? 2, nodeCryptoProvider, 20_000);
  attack.corrupt?.(parties[0]!);
  const runs = parties.map(async (p) => {
    const t = new TinyOt(p, {
      ...opts,
      ...(p.index === 0 && attack.tamper ? { testOnlyTamperLeaky: attack.tamper } : {}),
    });
    const q = await t.andTriples(N_ATTACK);
    const v = await Promise.all([t.open(q.x), t.open(q.y), t.open(q.z)]);
    await t.check();
    return v;
  });
  runs[0]!.catch(() => undefined);
  return Promise.allSettled(both ? runs : runs.slice(1));
}

describe('tinyot AND triples malicious: every honest party aborts', () => {
  for (const attack of ATTACKS)
    it(`n=${attack.parties ?? 2}: ${attack.name}`, async () => {
      const res = await attackRun(attack, {});
      expect(res.length).toBe((attack.parties ?? 2) - 1);
      res.forEach((r, i) => {
        expect(r.status, `party ${i + 1}`).toBe('rejected');
        const e = (r as PromiseRejectedResult).reason as unknown;
        expect(e).toBeInstanceOf(Spdz2kAbort);
        expect(attack.checks).toContain((e as Spdz2kAbort).check);
      });
    }, 30_000);

  it('positive control: with the triple check off, a wrong triple goes through', async () => {
    // Wrong half-AND messages make one leaky triple's z wrong but
    // authenticated; bucketing XORs it into one output triple.
    const attack = ATTACKS[0]!;
    const res = await attackRun(attack, { testOnlySkipTripleCheck: true }, true);
    expect(res.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const [x, y, z] = (res[1] as PromiseFulfilledResult<Uint8Array[]>).value;
    let wrong = 0;
    for (let i = 0; i < N_ATTACK; i++) wrong += z![i]! ^ (x![i]! & y![i]!);
    expect(wrong).toBe(1);
  }, 30_000);
});
