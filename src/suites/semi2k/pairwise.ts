/**
 * Pairwise correlated randomness and OT channels for the dishonest-majority
 * suites (semi2k, spdz2k).
 *
 * Assumptions: authenticated private point-to-point channels (TLS across
 * machines). Pairwise seeds are chosen by the lower-indexed party of each pair
 * and sent to the other one: a semi-honest party learns only the seeds it
 * shares, so any n-1 colluders still miss every seed between two honest
 * parties. (A malicious party can choose its seeds badly; that only hurts
 * itself, since these seeds only mask what it sends or receives.)
 *
 * OT: one IKNP extension per unordered pair {i, j}, i < j, with i the
 * sender and j the receiver, from src/primitives/ot (Masny-Rindal base OTs,
 * IKNP, optionally the KOS check). One direction serves both cross terms of
 * a product (a_j b_i and b_j a_i both have j as the receiver), which halves
 * the base OTs, the slow public-key part of setup.
 * Every party creates every instance, in the same order, so that the round
 * engine sees the same sequence of steps everywhere (parties outside a pair
 * take part as bystanders and exchange nothing).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { OtExtension } from '../../primitives/ot/extension.js';
import { Prg, randomSeed } from '../../random/prg.js';
import { ProtocolAbort } from '../../runtime/errors.js';
import type { Party } from '../../runtime/party.js';

/** Domain-separation labels of the streams drawn from one pairwise seed. */
export const PAIRWISE_LABELS = {
  input: 'entente/semi2k/pairwise/input/v1',
  zero: 'entente/semi2k/pairwise/zero/v1',
  coin: 'entente/semi2k/session/coin/v1',
} as const;

export type PairwisePurpose = 'input' | 'zero';

const TEXT = new TextEncoder();

function derive(seed: Uint8Array, label: string): Uint8Array {
  const l = TEXT.encode(label);
  const msg = new Uint8Array(l.length + seed.length);
  msg.set(l);
  msg.set(seed, l.length);
  return sha256(msg).slice(0, 16);
}

/**
 * A PRG per peer and purpose: party i's stream `prg(j, p)` equals party j's
 * stream `prg(i, p)`. Also a session tag that all parties agree on.
 */
export class Pairwise {
  readonly #prgs: Map<string, Prg>;
  /** Hex tag agreed by all parties at setup (hash of everyone's fresh nonces). */
  readonly sessionTag: string;

  private constructor(prgs: Map<string, Prg>, sessionTag: string) {
    this.#prgs = prgs;
    this.sessionTag = sessionTag;
  }

  /**
   * One round: party i sends a fresh seed to every j > i, and a fresh nonce to
   * everyone; the session tag hashes all nonces in index order, so it is fresh
   * if any one party is honest.
   * @throws {ProtocolAbort} ('malformed') on a seed or nonce of the wrong size.
   */
  static async setup(party: Party, op: string): Promise<Pairwise> {
    const me = party.index;
    const n = party.n;
    const nonce = randomSeed(party.crypto);
    const mine: Array<Uint8Array | undefined> = new Array(n);
    const send: Array<Uint8Array | undefined> = new Array(n);
    for (let j = 0; j < n; j++) {
      if (j === me) continue;
      const msg = new Uint8Array(32);
      msg.set(nonce, 16);
      if (j > me) {
        const s = randomSeed(party.crypto);
        mine[j] = s;
        msg.set(s, 0);
      }
      send[j] = msg;
    }
    const peers = Array.from({ length: n }, (_, j) => j).filter((j) => j !== me);
    const got = await party.exchange({ op, send, recvFrom: peers });
    const nonces: Uint8Array[] = new Array(n);
    nonces[me] = nonce;
    for (const j of peers) {
      const msg = got[j];
      if (!msg || msg.length !== 32)
        throw new ProtocolAbort('malformed', j, party.ids[j], `${op}: expected 32 bytes`);
      nonces[j] = msg.slice(16);
      if (j < me) mine[j] = msg.slice(0, 16);
    }
    const prgs = new Map<string, Prg>();
    for (const j of peers) {
      const seed = mine[j]!;
      for (const p of ['input', 'zero'] as const)
        prgs.set(`${j}/${p}`, new Prg(derive(seed, PAIRWISE_LABELS[p]), party.crypto));
    }
    const ids = TEXT.encode(party.ids.join('\u0000'));
    const all = new Uint8Array(16 * n + ids.length);
    nonces.forEach((x, j) => all.set(x, 16 * j));
    all.set(ids, 16 * n);
    const tag = derive(all, PAIRWISE_LABELS.coin);
    return new Pairwise(prgs, Array.from(tag, (b) => b.toString(16).padStart(2, '0')).join(''));
  }

  /** The stream shared with party j for `purpose`. */
  prg(j: number, purpose: PairwisePurpose): Prg {
    const p = this.#prgs.get(`${j}/${purpose}`);
    if (!p) throw new RangeError(`pairwise: no stream with party ${j}`);
    return p;
  }
}

/**
 * OT extension for every pair of parties (lower index sends), created on first use
 * (base OTs cost tens of milliseconds per pair, which programs without
 * multiplications need not pay).
 */
export class OtMesh {
  readonly party: Party;
  readonly check: boolean;
  /** One instance per ordered pair (both directions), instead of per unordered pair. */
  readonly ordered: boolean;
  #ots: Map<string, OtExtension> | undefined;
  #creating: Promise<Map<string, OtExtension>> | undefined;
  readonly #delta: Uint8Array | undefined;

  /**
   * @param delta this party's Delta (16 bytes) for every instance it sends
   *   in (one global correlation, as TinyOT's MACs need); random per
   *   instance when omitted.
   */
  constructor(party: Party, check: boolean, ordered = false, delta?: Uint8Array) {
    this.party = party;
    this.check = check;
    this.ordered = ordered;
    this.#delta = delta;
  }

  /**
   * The pairs (sender, receiver), in the one order every party uses: sender <
   * receiver, or every ordered pair when `ordered`.
   */
  get pairs(): Array<readonly [number, number]> {
    const out: Array<readonly [number, number]> = [];
    for (let s = 0; s < this.party.n; s++)
      for (let r = 0; r < this.party.n; r++)
        if (r > s || (this.ordered && r !== s)) out.push([s, r] as const);
    return out;
  }

  /** Creates every instance (all pairs in parallel), once. */
  ready(): Promise<Map<string, OtExtension>> {
    if (this.#ots) return Promise.resolve(this.#ots);
    this.#creating ??= (async () => {
      const made = await Promise.all(
        this.pairs.map(([s, r]) =>
          OtExtension.create(this.party, s, r, {
            check: this.check,
            ...(this.#delta && s === this.party.index ? { delta: this.#delta } : {}),
          }),
        ),
      );
      const m = new Map<string, OtExtension>();
      this.pairs.forEach(([s, r], k) => m.set(`${s}>${r}`, made[k]!));
      this.#ots = m;
      return m;
    })();
    return this.#creating;
  }

  /** The instance from `sender` to `receiver`. @throws {Error} before ready(). */
  ot(sender: number, receiver: number): OtExtension {
    const o = this.#ots?.get(`${sender}>${receiver}`);
    if (!o) throw new Error(`ot mesh: no instance ${sender}>${receiver} (ready() first)`);
    return o;
  }
}
