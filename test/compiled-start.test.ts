/**
 * What makes a run start fast (issue 22, item 4), each checked for what it must
 * not get wrong:
 *   - bin/entente.js runs dist/ only when it is the build of the sources as they
 *     are (dist/BUILT_FROM), and the sources through tsx otherwise, or when a
 *     TypeScript file is named (a checkout with a fake src/ and dist/ tells which ran);
 *   - the party processes of a compiled launcher start dist/cli/bin.js without a loader;
 *   - `entente local`'s key cache: a private folder, keys of mode 0600, reused, and a
 *     corrupted or exposed pair made anew, another user's or a non-folder refused;
 *   - dials of a peer on this machine retry at short intervals.
 * The compiled command itself running programs (in-process, and a process per party)
 * is test/package.test.ts, on the installed package.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback } from '../src/adapters/node/net/endpoint.js';
import { cachedIdentities, KeyCacheError, keyCacheDir } from '../src/cli/keycache.js';
import { partyEntry } from '../src/cli/launch.js';
import { buildIsCurrent as isCurrent, STAMP } from '../scripts/build-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'entente-start-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the build stamp', () => {
  it('says current only for a stamped build no compiled source is newer than', async () => {
    const src = join(work, 'stamp', 'src');
    const dist = join(work, 'stamp', 'dist');
    await mkdir(join(src, 'cli'), { recursive: true });
    await mkdir(dist, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await writeFile(join(src, 'cli', 'a.ts'), 'export {};\n');
    await utimes(join(src, 'cli', 'a.ts'), old, old);
    expect(isCurrent(src, dist)).toBe(false); // no stamp: no build, or one cut short
    await writeFile(join(dist, STAMP), `${old.getTime()}\n`);
    expect(isCurrent(src, dist)).toBe(true);
    // A test is not compiled: editing one leaves the build current.
    await writeFile(join(src, 'cli', 'a.test.ts'), 'export {};\n');
    expect(isCurrent(src, dist)).toBe(true);
    await writeFile(join(src, 'cli', 'b.ts'), 'export {};\n');
    expect(isCurrent(src, dist)).toBe(false);
    await writeFile(join(dist, STAMP), 'garbage\n');
    expect(isCurrent(src, dist)).toBe(false);
  });
});

/** Runs `node bin/entente.js ...` of a checkout; resolves with its stdout and exit code. */
function runBin(bin: string, args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? -1) : 0, out: stdout + stderr }),
    ),
  );
}

describe('bin/entente.js in a checkout', () => {
  // A checkout whose src/cli/bin.ts and dist/cli/bin.js say which of them ran; inside the
  // repository, so that tsx resolves as in the real one.
  let checkout: string;
  beforeAll(async () => {
    await mkdir(join(ROOT, 'test-artifacts'), { recursive: true });
    checkout = await mkdtemp(join(ROOT, 'test-artifacts', 'checkout-'));
    for (const d of ['bin', 'scripts', 'src/cli', 'dist/cli'])
      await mkdir(join(checkout, d), { recursive: true });
    await writeFile(join(checkout, 'package.json'), '{"type":"module"}\n');
    for (const f of ['bin/entente.js', 'scripts/build-stamp.mjs'])
      await writeFile(join(checkout, f), await readFile(join(ROOT, f)));
    const old = new Date(Date.now() - 60_000);
    await writeFile(join(checkout, 'src/cli/bin.ts'), "console.log('ran: sources');\n");
    await utimes(join(checkout, 'src/cli/bin.ts'), old, old);
    await writeFile(join(checkout, 'dist/cli/bin.js'), "console.log('ran: compiled');\n");
  });
  afterAll(async () => {
    await rm(checkout, { recursive: true, force: true });
  });

  it('runs dist/ when its stamp is current, the sources through tsx when not', async () => {
    const bin = join(checkout, 'bin/entente.js');
    // Compiled but never stamped (a build cut short): the sources.
    expect((await runBin(bin, ['suites'])).out).toContain('ran: sources');
    await writeFile(join(checkout, 'dist', STAMP), `${Date.now() - 30_000}\n`);
    expect((await runBin(bin, ['suites'])).out).toContain('ran: compiled');
    // A TypeScript program needs the loader: the sources, as before.
    expect((await runBin(bin, ['run', 'prog.ts'])).out).toContain('ran: sources');
    // A source edited after the build: the sources, never the stale build.
    await utimes(join(checkout, 'src/cli/bin.ts'), new Date(), new Date());
    expect((await runBin(bin, ['suites'])).out).toContain('ran: sources');
  });
});

describe('the party processes', () => {
  it('of a compiled launcher start dist/cli/bin.js, unless a TypeScript file is named', () => {
    const compiled = 'file:///pkg/dist/cli/launch.js';
    expect(partyEntry(['run', 'p.mjs'], compiled)).toBe('/pkg/dist/cli/bin.js');
    expect(partyEntry(['run', 'p.ts'], compiled)).toBe('/pkg/bin/entente.js');
    expect(partyEntry(['run', 'p.mjs'], 'file:///pkg/src/cli/launch.ts')).toBe(
      '/pkg/bin/entente.js',
    );
  });
});

describe("entente local's key cache", () => {
  const ids = ['p1', 'p2', 'p3'];
  const mode = async (p: string) => (await stat(p)).mode & 0o777;

  it('is a private folder of keys of mode 0600, made once and then reused', async () => {
    const dir = join(work, 'cache', 'entente', 'local-keys');
    const notes: string[] = [];
    const first = await cachedIdentities(ids, dir, (l) => notes.push(l));
    expect(new Set(first.map((i) => i.fingerprint)).size).toBe(3);
    expect(await mode(dir)).toBe(0o700);
    for (const id of ids) expect(await mode(join(dir, `${id}.key`))).toBe(0o600);
    const again = await cachedIdentities(ids, dir, (l) => notes.push(l));
    expect(again.map((i) => i.fingerprint)).toEqual(first.map((i) => i.fingerprint));
    expect(again.map((i) => i.key)).toEqual(first.map((i) => i.key));
    expect(notes).toEqual([]);
  });

  it('makes a corrupted pair, or a key readable by others, anew and says why', async () => {
    const dir = join(work, 'corrupt');
    const first = await cachedIdentities(ids, dir, () => {});
    await writeFile(join(dir, 'p1.key'), 'not a key', { mode: 0o600 });
    await chmod(join(dir, 'p2.key'), 0o644);
    // p3's certificate is p2's: not the certificate of p3's key.
    await writeFile(join(dir, 'p3.crt'), first[1]!.cert);
    const notes: string[] = [];
    const next = await cachedIdentities(ids, dir, (l) => notes.push(l));
    expect(notes).toHaveLength(3);
    notes.sort(); // the pairs are checked in parallel
    expect(notes[0]).toMatch(/cached key of p1 is unusable \(.*p1\.key: not a private key/);
    expect(notes[1]).toMatch(/cached key of p2 is unusable \(.*p2\.key is not a file of mode 0600/);
    expect(notes[2]).toMatch(/cached key of p3 is unusable \(.*p3\.key is not the key of/);
    for (const [i, id] of ids.entries()) {
      expect(next[i]!.fingerprint).not.toBe(first[i]!.fingerprint);
      expect(await mode(join(dir, `${id}.key`))).toBe(0o600);
    }
    // The new pairs are cached and reused.
    const third = await cachedIdentities(ids, dir, (l) => notes.push(l));
    expect(third.map((i) => i.fingerprint)).toEqual(next.map((i) => i.fingerprint));
    expect(notes).toHaveLength(3);
  });

  it('makes a folder open to others private and discards its keys', async () => {
    const dir = join(work, 'open');
    const first = await cachedIdentities(ids, dir, () => {});
    await chmod(dir, 0o755);
    const notes: string[] = [];
    const next = await cachedIdentities(ids, dir, (l) => notes.push(l));
    expect(notes).toEqual([expect.stringMatching(/open to other users: made it private/)]);
    expect(await mode(dir)).toBe(0o700);
    for (const [i] of ids.entries()) expect(next[i]!.fingerprint).not.toBe(first[i]!.fingerprint);
  });

  it('refuses a cache path that is not a folder, naming it', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, '');
    await expect(cachedIdentities(ids, file, () => {})).rejects.toThrow(KeyCacheError);
    await expect(cachedIdentities(ids, file, () => {})).rejects.toThrow(file);
  });

  it('is $ENTENTE_KEY_CACHE, else under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(keyCacheDir({ ENTENTE_KEY_CACHE: '/k' })).toBe('/k');
    expect(keyCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/entente/local-keys');
    expect(keyCacheDir({})).toMatch(/\.cache\/entente\/local-keys$/);
  });
});

describe('dials on this machine', () => {
  it('are told apart from remote ones', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopback(h)).toBe(true);
    for (const h of ['10.0.0.1', '128.0.0.1', 'example.org', '127.0.0.1.example.org'])
      expect(isLoopback(h)).toBe(false);
  });
});
