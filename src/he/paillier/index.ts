/**
 * `entente/paillier`: Paillier encryption with DJN fast encryption, and its
 * threshold variant with a trusted dealer (docs/HE.md). Runs in Node and
 * browsers; randomness comes from a CryptoProvider: `webCryptoProvider`
 * (WebCrypto's CSPRNG, re-exported here) or `nodeCryptoProvider` from
 * `entente/node`.
 *
 * @example
 * const crypto = webCryptoProvider;
 * const { publicKey, secretKey } = generateKeyPair(crypto); // 3072 bits
 * const total = publicKey.add(publicKey.encrypt(2n, crypto), publicKey.encrypt(3n, crypto));
 * secretKey.decrypt(total); // 5n
 */
export {
  Ciphertext,
  DEFAULT_MODULUS_BITS,
  defaultExponentBits,
  generateKeyPair,
  keyPairFromPrimes,
  MIN_MODULUS_BITS,
  PublicKey,
  SecretKey,
  securityBits,
} from './paillier.js';
export type { KeyGenOptions, KeyPair, PublicKeyJson, SecretKeyJson } from './paillier.js';
export { PaillierError } from './errors.js';
export { webCryptoProvider } from '../../random/provider.js';
export type { CryptoProvider } from '../../random/provider.js';
export type { PaillierErrorCode } from './errors.js';
export {
  dealThresholdKey,
  KeyShare,
  shareFromJson,
  shareToJson,
  ThresholdPublicKey,
} from './threshold.js';
export type {
  DealOptions,
  DecryptionShare,
  ShareProof,
  ThresholdPublicKeyJson,
} from './threshold.js';
