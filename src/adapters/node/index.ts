/**
 * `entente/node`: what only Node offers. The AES of node:crypto (or the
 * native AES-NI kernel when it is built) as a faster crypto provider for
 * `runLocal`, reading study and data files, party identities (keys and
 * self-signed certificates) and federation files. Running a program over a
 * federation is the `entente run --federation` command (docs/OPERATIONS.md).
 */
export { nodeCryptoProvider, aesBackend } from './crypto.js';
export { loadStudy, loadTable, dataPath, type LoadedStudy } from './data.js';
export {
  loadFederation,
  validateFederation,
  ConfigError,
  type Federation,
  type FederationParty,
  type FederationTimeouts,
} from './net/federation.js';
export {
  generateIdentity,
  writeIdentity,
  loadIdentity,
  type Identity,
  type IdentityFiles,
} from './net/identity.js';
export { certificateFingerprint } from './net/fingerprint.js';
