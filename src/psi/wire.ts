/**
 * Message checks shared by the PSI protocols: every message a peer sends is
 * checked for its exact expected length (or a bound) before use, and a bad
 * one stops the protocol with a ProtocolAbort naming that peer
 * ('malformed' for wrong content, 'oversized' for sizes beyond the limits).
 */
import { ProtocolAbort } from '../runtime/errors.js';
import type { Party } from '../runtime/party.js';

/**
 * Largest set either party may bring (elements after removing duplicates).
 * It bounds every buffer a peer's announced size makes us allocate: at the
 * limit the OT-based receiver holds about 5 GB, so the limit is also about
 * what fits a machine.
 */
export const MAX_SET = 1 << 24;

export function malformed(party: Party, peer: number, what: string): ProtocolAbort {
  return new ProtocolAbort('malformed', peer, party.ids[peer], what);
}

export function oversized(party: Party, peer: number, what: string): ProtocolAbort {
  return new ProtocolAbort('oversized', peer, party.ids[peer], what);
}

/** The payload from `peer`, which must be exactly `bytes` long. */
export function expectLength(
  party: Party,
  peer: number,
  op: string,
  msg: Uint8Array | undefined,
  bytes: number,
): Uint8Array {
  if (!msg) throw malformed(party, peer, `${op}: no message`);
  if (msg.length > bytes)
    throw oversized(party, peer, `${op}: expected ${bytes} bytes, got ${msg.length}`);
  if (msg.length !== bytes)
    throw malformed(party, peer, `${op}: expected ${bytes} bytes, got ${msg.length}`);
  return msg;
}

/**
 * A hello of `bytes` bytes whose first two are the wire version and the
 * protocol id: checked against this party's, naming the peer otherwise.
 */
export function expectHello(
  party: Party,
  peer: number,
  op: string,
  msg: Uint8Array | undefined,
  bytes: number,
  version: number,
  protocol: number,
): Uint8Array {
  const b = expectLength(party, peer, op, msg, bytes);
  if (b[0] !== version || b[1] !== protocol)
    throw malformed(party, peer, `${op}: version ${b[0]}/${b[1]}, expected ${version}/${protocol}`);
  return b;
}

/** One exchange with a single peer: send `msg` (or nothing), optionally wait for its message. */
export async function talk(
  party: Party,
  peer: number,
  op: string,
  msg: Uint8Array | undefined,
  receive: boolean,
): Promise<Uint8Array | undefined> {
  const send = new Array<Uint8Array | undefined>(party.n);
  send[peer] = msg;
  const got = await party.exchange({ op, send, recvFrom: receive ? [peer] : [] });
  return receive ? got[peer] : undefined;
}

/** Checks a locally supplied set size. @throws {RangeError} beyond MAX_SET. */
export function checkOwnSize(n: number): void {
  if (n > MAX_SET)
    throw new RangeError(`psi: a set of ${n} distinct elements exceeds the limit of ${MAX_SET}`);
}

/** Uniform Fisher-Yates permutation of 0..n-1 from a CSPRNG-seeded word source. */
export function randomPermutation(n: number, fill: (out: Uint8Array) => void): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const r = new Uint32Array(2 * Math.max(1, n));
  fill(new Uint8Array(r.buffer));
  for (let i = n - 1; i > 0; i--) {
    // 53 random bits: the bias of floor(u (i + 1)) is below 2^-29 at any size used here.
    const u = (r[2 * i]! * 2097152 + (r[2 * i + 1]! >>> 11)) / 9007199254740992;
    const j = Math.floor(u * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
