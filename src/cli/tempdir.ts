/**
 * Temporary folders that hold private keys (`entente local`, `entente study`,
 * `entente demo`). Each is named with a known prefix and holds the pid of the
 * process that made it (`entente.pid`). It is removed on every exit path that
 * can run code: the normal end, an error, SIGINT / SIGTERM (the commands stop
 * their parties, then remove it) and `process.exit` (synchronously, from the
 * 'exit' event). A folder left by a process that could not run code (kill -9,
 * a power cut) is removed at the next start of any of these commands, once
 * the process named in its pid file is gone.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PID_FILE = 'entente.pid';
/** The prefixes of every key folder these commands make. */
export const KEY_FOLDER_PREFIXES = ['entente-local-', 'entente-study-', 'entente-demo-'] as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's process.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes key folders whose maker is gone (its pid file names no running
 * process); returns their paths. A folder without a pid file is left alone (it
 * may be being made right now).
 */
export async function removeStaleKeyFolders(base = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(base).catch(() => [] as string[]);
  for (const name of names) {
    if (!KEY_FOLDER_PREFIXES.some((p) => name.startsWith(p))) continue;
    const dir = join(base, name);
    const pid = Number((await readFile(join(dir, PID_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    await rm(dir, { recursive: true, force: true }).then(
      () => removed.push(dir),
      () => undefined,
    );
  }
  return removed;
}

export interface KeyFolder {
  dir: string;
  /** Removes the folder (idempotent). */
  remove(): Promise<void>;
}

/** A fresh key folder `tmpdir()/PREFIXxxxxxx` (after removing stale ones); see the module comment. */
export async function makeKeyFolder(
  prefix: (typeof KEY_FOLDER_PREFIXES)[number],
): Promise<KeyFolder> {
  const stale = await removeStaleKeyFolders();
  for (const d of stale)
    console.error(`entente: removed ${d}, the keys of an earlier run whose process is gone`);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const onExit = () => {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  await writeFile(join(dir, PID_FILE), `${process.pid}\n`);
  return {
    dir,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      process.off('exit', onExit);
    },
  };
}
