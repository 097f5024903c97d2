/**
 * The node's signing key: its network identity's ECDSA P-256 key (the key
 * of the certificate that peers pin). It signs audit entries, log heads and
 * approvals; anyone holding the certificate verifies them.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export interface Signer {
  readonly nodeId: string;
  /** Base64 DER ECDSA signature of `data` (SHA-256). */
  sign(data: Uint8Array | string): string;
}

export function signerFromPem(nodeId: string, keyPem: string): Signer {
  const key = createPrivateKey(keyPem);
  return { nodeId, sign: (data) => sign('sha256', toBytes(data), key).toString('base64') };
}

export type Verifier = (data: Uint8Array | string, signature: string) => boolean;

/** A verifier from a PEM certificate or public key. */
export function verifierFromPem(pem: string): Verifier {
  const key: KeyObject = createPublicKey(pem);
  return (data, signature) => {
    try {
      return verify('sha256', toBytes(data), key, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  };
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
