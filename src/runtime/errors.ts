/**
 * Typed errors of the runtime. None of them carries share or secret values:
 * messages name the operation, the peer and the reason only.
 */
import type { TransportFailure } from '../transport/transport.js';

export type AbortReason = TransportFailure | 'divergence' | 'aborted';

/** The computation stopped because of a peer or the link to it. */
export class ProtocolAbort extends Error {
  override readonly name = 'ProtocolAbort';
  constructor(
    readonly reason: AbortReason,
    /** Index of the peer at fault, when known. */
    readonly peer: number | undefined,
    /** The peer's configured id, when known. */
    readonly peerId: string | undefined,
    detail: string,
  ) {
    super(
      `protocol aborted: ${reason}${peerId !== undefined ? ` (peer ${peerId})` : ''}: ${detail}`,
    );
  }
}

/** A revealed value does not fit the declared type of the secret. */
export class OverflowError extends RangeError {
  override readonly name = 'OverflowError';
}

/** A secret was used where only a public value makes sense (if, print, JSON). */
export class SecretMisuseError extends TypeError {
  override readonly name = 'SecretMisuseError';
}
