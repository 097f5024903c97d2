/**
 * The test keys of `entente local`, kept between runs. Making a party's key
 * and self-signed certificate loads an X.509 library and signs (about 0.2 s
 * for the first party of a process); a run on 127.0.0.1 needs no new keys
 * each time, so `entente local` takes them from a cache folder of the user's
 * (mode 0700, keys 0600) and makes only the missing ones, in parallel. Every
 * run still copies them into its own temporary folder, removed at its end
 * (src/cli/tempdir.ts), and pins their fingerprints in its federation file.
 *
 * A cached pair is used only if it reads back as a key and the certificate it
 * belongs to, the key file has mode 0600 and both are the user's; otherwise it
 * is made anew (and the reason printed). A cache folder of another user, or
 * one that cannot be made private, is refused with an error naming it.
 * `ENTENTE_KEY_CACHE` names another folder.
 */
import { chmod, lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, loadIdentity, type Identity } from '../adapters/node/net/identity.js';

/** The cache folder: $ENTENTE_KEY_CACHE, else $XDG_CACHE_HOME/entente/local-keys, else ~/.cache/entente/local-keys. */
export function keyCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENTENTE_KEY_CACHE) return env.ENTENTE_KEY_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'entente', 'local-keys');
}

/** The key cache cannot be used (another user's folder, not a folder, not private). */
export class KeyCacheError extends Error {
  override readonly name = 'KeyCacheError';
}

/** The user's id, where the platform has one (not on Windows). */
const uid = (): number | undefined => process.getuid?.();

/** Makes `dir` (mode 0700) if missing and checks that it is this user's private folder. */
async function privateFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new KeyCacheError(
      `cannot make the key cache ${dir} (${(e as NodeJS.ErrnoException).code ?? e}); set ENTENTE_KEY_CACHE to another folder`,
    );
  }
  const st = await lstat(dir);
  if (!st.isDirectory())
    throw new KeyCacheError(
      `the key cache ${dir} is not a folder; remove it or set ENTENTE_KEY_CACHE`,
    );
  const me = uid();
  if (me !== undefined && st.uid !== me)
    throw new KeyCacheError(
      `the key cache ${dir} belongs to another user (uid ${st.uid}); set ENTENTE_KEY_CACHE to a folder of yours`,
    );
  // Others may have read keys from a folder open to them: make it private, then take none of them.
  if ((st.mode & 0o077) !== 0) {
    await chmod(dir, 0o700);
    throw new LooseFolder();
  }
}

class LooseFolder extends Error {}

/** A cached identity, or why it cannot be used. */
async function cached(dir: string, id: string): Promise<Identity | string> {
  const keyPath = join(dir, `${id}.key`);
  const certPath = join(dir, `${id}.crt`);
  const st = await lstat(keyPath).catch(() => undefined);
  if (!st) return 'none cached';
  const me = uid();
  if (!st.isFile() || (me !== undefined && st.uid !== me) || (st.mode & 0o777) !== 0o600)
    return `${keyPath} is not a file of mode 0600 of this user`;
  try {
    return await loadIdentity(keyPath, certPath);
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Writes a file whole or not at all (a run started meanwhile reads the old
 * pair or the new one, never half of one).
 */
async function replace(path: string, text: string, mode: number): Promise<void> {
  const part = `${path}.${process.pid}.part`;
  await writeFile(part, text, { mode });
  await chmod(part, mode);
  await rename(part, path);
}

/**
 * The identities of `ids`, from the cache where usable and made (in parallel)
 * where not; the cache is updated with the new ones. `note` gets a line for
 * each pair that was cached but unusable.
 * @throws {KeyCacheError} when the cache folder cannot be used.
 */
export async function cachedIdentities(
  ids: readonly string[],
  dir: string = keyCacheDir(),
  note: (line: string) => void = (l) => console.error(l),
): Promise<Identity[]> {
  let loose = false;
  try {
    await privateFolder(dir);
  } catch (e) {
    if (!(e instanceof LooseFolder)) throw e;
    loose = true;
    note(`entente: the key cache ${dir} was open to other users: made it private, making new keys`);
  }
  return Promise.all(
    ids.map(async (id) => {
      const hit = loose ? 'discarded' : await cached(dir, id);
      if (typeof hit !== 'string') return hit;
      if (hit !== 'none cached' && hit !== 'discarded')
        note(`entente: the cached key of ${id} is unusable (${hit}); making a new one`);
      const fresh = await generateIdentity(id);
      // Key first: a certificate is only ever beside a key that may be its own.
      await replace(join(dir, `${id}.key`), fresh.key, 0o600);
      await replace(join(dir, `${id}.crt`), fresh.cert, 0o644);
      return fresh;
    }),
  );
}
