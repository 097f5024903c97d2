/**
 * A party's network identity: an ECDSA P-256 private key and a self-signed
 * certificate. Nobody signs these certificates; peers trust each other by
 * pinning the certificate's SHA-256 fingerprint, published in the federation
 * file (see docs/OPERATIONS.md). The key never leaves its file (mode 0600).
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateFingerprint } from './fingerprint.js';

export interface Identity {
  /** PEM, PKCS#8. */
  readonly key: string;
  /** PEM, X.509 v3, self-signed. */
  readonly cert: string;
  /** SHA-256 of the DER certificate, AB:CD:... */
  readonly fingerprint: string;
}

/** Party ids: also file names, so a safe alphabet. */
export const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Certificates are pinned, not validated against a date, but stay plausible for tools: 10 years. */
const VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * Creates a fresh key pair and a self-signed certificate naming `id`.
 * @throws {RangeError} for an id outside PARTY_ID.
 */
export async function generateIdentity(id: string): Promise<Identity> {
  if (!PARTY_ID.test(id))
    throw new RangeError(
      `id: expected letters, digits, '_', '.', '-' (1..64, starting with a letter or digit), got '${id}'`,
    );
  // @peculiar/x509 needs the Reflect metadata polyfill; load both only here, so
  // the global polyfill exists only in processes that create certificates.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  // A positive 16-byte serial (RFC 5280 section 4.1.2.2: at most 20 octets, positive).
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${id}, O=Entente party`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + VALIDITY_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const certPem = cert.toString('pem');
  return { key, cert: certPem, fingerprint: certificateFingerprint(certPem) };
}

export interface IdentityFiles {
  readonly keyPath: string;
  readonly certPath: string;
  readonly fingerprint: string;
}

/**
 * Writes `DIR/ID.key` (mode 0600) and `DIR/ID.crt`. Refuses to overwrite an
 * existing key, so a running party's identity is never replaced by accident.
 * @throws {Error} if either file exists.
 */
export async function writeIdentity(dir: string, id: string): Promise<IdentityFiles> {
  return saveIdentity(dir, id, await generateIdentity(id));
}

/**
 * Writes an identity made or read elsewhere as `DIR/ID.key` (mode 0600) and
 * `DIR/ID.crt`, refusing to overwrite, as writeIdentity does.
 * @throws {Error} if either file exists.
 */
export async function saveIdentity(
  dir: string,
  id: string,
  identity: Identity,
): Promise<IdentityFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, `${id}.key`);
  const certPath = join(dir, `${id}.crt`);
  for (const p of [keyPath, certPath]) {
    if (await exists(p)) throw new Error(`keygen: ${p} exists; refusing to overwrite it`);
  }
  // 'wx': fail rather than follow a file created in between; the mode applies at creation.
  await writeFile(keyPath, identity.key, { mode: 0o600, flag: 'wx' });
  await writeFile(certPath, identity.cert, { mode: 0o644, flag: 'wx' });
  return { keyPath, certPath, fingerprint: identity.fingerprint };
}

/**
 * Copies an existing `FROM/ID.key` and `FROM/ID.crt` (e.g. a mounted secret) to
 * `DIR`, after checking that they belong together; refuses to overwrite, as
 * writeIdentity does.
 * @throws {Error} naming the file that is missing, unusable or in the way.
 */
export async function importIdentity(
  from: string,
  dir: string,
  id: string,
): Promise<IdentityFiles> {
  const identity = await loadIdentity(join(from, `${id}.key`), join(from, `${id}.crt`));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, `${id}.key`);
  const certPath = join(dir, `${id}.crt`);
  for (const p of [keyPath, certPath]) {
    if (await exists(p)) throw new Error(`${p} exists; refusing to overwrite it`);
  }
  await writeFile(keyPath, identity.key, { mode: 0o600, flag: 'wx' });
  await writeFile(certPath, identity.cert, { mode: 0o644, flag: 'wx' });
  return { keyPath, certPath, fingerprint: identity.fingerprint };
}

/**
 * Reads a key and certificate, checking that they belong together.
 * @throws {Error} naming the file that is missing or unusable.
 */
export async function loadIdentity(keyPath: string, certPath: string): Promise<Identity> {
  const read = async (p: string, what: string) => {
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  };
  const key = await read(keyPath, 'private key');
  const cert = await read(certPath, 'certificate');
  let fingerprint: string;
  try {
    fingerprint = certificateFingerprint(cert);
  } catch (e) {
    throw new Error(`${certPath}: ${(e as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    throw new Error(`${keyPath}: not a private key (${(e as Error).message})`);
  }
  if (!matches) throw new Error(`${keyPath} is not the key of certificate ${certPath}`);
  return { key, cert, fingerprint };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
