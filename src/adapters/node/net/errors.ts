/** Errors of setting up network links. */

export type ConnectFailure =
  'unreachable' | 'handshake' | 'certificate' | 'refused' | 'wrong-session' | 'timeout' | 'closed';

/** Setting up the links failed; names the peer and why. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly reason: ConnectFailure,
    readonly peer: number,
    readonly peerId: string,
    detail: string,
  ) {
    super(`${reason} (party ${peerId}): ${detail}`);
  }
}
