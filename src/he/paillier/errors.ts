/** Typed errors of the Paillier module; messages never contain key material or plaintexts. */

export type PaillierErrorCode =
  /** A serialised value of the wrong size or shape. */
  | 'wrong-length'
  /** A ciphertext or key element outside the group it must belong to (e.g. not in Z*_{n^2}). */
  | 'not-in-group'
  /** A ciphertext, share or key made under another key (its key id differs). */
  | 'wrong-key'
  /** A decryption share whose proof of correct decryption does not verify. */
  | 'bad-proof'
  /** Threshold decryption with too few or duplicated shares. */
  | 'not-enough-shares'
  /** A malformed serialised key or share (bad hex, missing field, bad parameters). */
  | 'bad-encoding';

export class PaillierError extends Error {
  readonly code: PaillierErrorCode;
  constructor(code: PaillierErrorCode, message: string) {
    super(message);
    this.name = 'PaillierError';
    this.code = code;
  }
}
