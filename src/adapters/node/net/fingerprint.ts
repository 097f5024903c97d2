/**
 * Certificate fingerprints: SHA-256 of the DER certificate, written as 32
 * upper-case hex bytes separated by colons (the form of `openssl x509
 * -fingerprint -sha256` and of Node's `X509Certificate.fingerprint256`).
 */
import { X509Certificate } from 'node:crypto';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The canonical form of a fingerprint written with or without colons, in any
 * case; undefined if it is not 32 bytes of hex.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const bare = text.trim().toLowerCase().replaceAll(':', '');
  if (!HEX64.test(bare)) return undefined;
  return bare.toUpperCase().match(/../g)!.join(':');
}

/**
 * The fingerprint of a PEM or DER certificate.
 * @throws {TypeError} if the bytes are not a certificate.
 */
export function certificateFingerprint(cert: string | Uint8Array): string {
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch (e) {
    throw new TypeError(`not an X.509 certificate (${(e as Error).message})`);
  }
}
