/**
 * HPKE (RFC 9180) for DAP: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-128-GCM, through @hpke/core, whose X25519 is WebCrypto's (Node 20 and
 * current browsers; faster to open than the portable X25519 of hpke-js, which
 * @divviup/dap's clients use: the same suite, so either side interoperates).
 * Keys travel as raw bytes (the X25519 public and private keys); the private
 * key never appears in an error.
 */
import {
  Aes128Gcm,
  AeadId,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
  KdfId,
  KemId,
} from '@hpke/core';
import type { HpkeCiphertext, HpkeConfig } from './messages.js';

export const KEM = KemId.DhkemX25519HkdfSha256;
export const KDF = KdfId.HkdfSha256;
export const AEAD = AeadId.Aes128Gcm;

/** The input or aggregate share does not decrypt (wrong key, tampered bytes or AAD). */
export class HpkeOpenError extends Error {
  override readonly name = 'HpkeOpenError';
}

export interface HpkeKeypair {
  readonly config: HpkeConfig;
  readonly privateKey: Uint8Array;
}

function suiteOf(c: Pick<HpkeConfig, 'kemId' | 'kdfId' | 'aeadId'>): CipherSuite {
  if (c.kemId !== KEM || c.kdfId !== KDF || c.aeadId !== AEAD)
    throw new HpkeOpenError(
      `HPKE suite (kem ${c.kemId}, kdf ${c.kdfId}, aead ${c.aeadId}) is not supported`,
    );
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
}

/** A fresh keypair from the OS CSPRNG (WebCrypto), under config id `id`. */
export async function generateHpkeKeypair(id: number): Promise<HpkeKeypair> {
  const suite = suiteOf({ kemId: KEM, kdfId: KDF, aeadId: AEAD });
  const pair = await suite.kem.generateKeyPair();
  const publicKey = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
  const privateKey = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
  return { config: { id, kemId: KEM, kdfId: KDF, aeadId: AEAD, publicKey }, privateKey };
}

/** A keypair's private half, imported once and reused for every open. */
export interface HpkeOpener {
  readonly config: HpkeConfig;
  open(ct: HpkeCiphertext, info: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

export async function hpkeOpener(kp: HpkeKeypair): Promise<HpkeOpener> {
  const suite = suiteOf(kp.config);
  const recipientKey = await suite.kem.deserializePrivateKey(kp.privateKey);
  return {
    config: kp.config,
    async open(ct, info, aad) {
      if (ct.configId !== kp.config.id)
        throw new HpkeOpenError(`unknown HPKE config id ${ct.configId}`);
      try {
        return new Uint8Array(
          await suite.open({ recipientKey, enc: ct.enc, info }, ct.payload, aad),
        );
      } catch {
        throw new HpkeOpenError('ciphertext does not decrypt');
      }
    },
  };
}

export async function hpkeSeal(
  config: HpkeConfig,
  info: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<HpkeCiphertext> {
  const suite = suiteOf(config);
  const recipientPublicKey = await suite.kem.deserializePublicKey(config.publicKey);
  const { ct, enc } = await suite.seal({ recipientPublicKey, info }, plaintext, aad);
  return { configId: config.id, enc: new Uint8Array(enc), payload: new Uint8Array(ct) };
}
