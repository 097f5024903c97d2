/** Federation and party files: validation naming each field; identities on disk. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadFederation,
  loadPartyFile,
  validateFederation,
  DEFAULT_TIMEOUTS,
} from './federation.js';
import { certificateFingerprint, normalizeFingerprint } from './fingerprint.js';
import { generateIdentity, loadIdentity, writeIdentity } from './identity.js';

const FP1 = 'AA:'.repeat(31) + 'AA';
const FP2 = 'bb'.repeat(32);
const KNOWN = { knownSuites: ['plaintext', 'rep3', 'shamir'] };

const good = () => ({
  name: 'study',
  parties: [
    {
      id: 'alice',
      name: 'Hospital A',
      host: '10.0.0.1',
      port: 7001,
      fingerprint: FP1,
      suites: ['rep3'],
    },
    { id: 'bob', host: 'b.example.org', port: 7002, fingerprint: FP2, suites: ['rep3', 'shamir'] },
  ],
});

function issues(raw: unknown): string[] {
  try {
    validateFederation(raw, 'fed.json', KNOWN);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('federation file', () => {
  it('validates a file, normalising fingerprints and filling defaults', () => {
    const f = validateFederation(good(), 'fed.json', KNOWN);
    expect(f.parties.map((p) => p.id)).toEqual(['alice', 'bob']);
    expect(f.parties[1]!.fingerprint).toBe('BB:'.repeat(31) + 'BB');
    expect(f.parties[1]!.name).toBe('bob');
    expect(f.session).toBe('study');
    expect(f.timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(f.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives equal digests to equal content however written, and different ones otherwise', () => {
    const a = validateFederation(good(), 'a', KNOWN);
    const reordered = JSON.parse(JSON.stringify(good())) as ReturnType<typeof good>;
    reordered.parties[1]!.fingerprint = FP2.toUpperCase().match(/../g)!.join(':');
    const b = validateFederation({ parties: reordered.parties, name: 'study' }, 'b', KNOWN);
    expect(b.digest).toBe(a.digest);
    const moved = good();
    moved.parties[1]!.port = 7003;
    expect(validateFederation(moved, 'c', KNOWN).digest).not.toBe(a.digest);
  });

  it('names the field of each problem', () => {
    const f = good() as unknown as { parties: Array<Record<string, unknown>> } & Record<
      string,
      unknown
    >;
    f.parties[1]!.port = 70000;
    f.parties[0]!.fingerprint = 'abc';
    f.parties[0]!.suites = ['rep4'];
    f.parties[1]!.colour = 'blue';
    f.timeouts = { heartbeatMs: 5000, idleMs: 6000 };
    f.extra = 1;
    expect(issues(f)).toEqual([
      'extra: unknown field (known: version, name, session, suite, transport, maxFrameBytes, timeouts, parties)',
      'timeouts.idleMs: expected more than twice heartbeatMs (5000), got 6000',
      'parties[0].fingerprint: expected a SHA-256 fingerprint (64 hex digits, colons allowed), got "abc"',
      'parties[0].suites[0]: expected one of plaintext, rep3, shamir, got "rep4"',
      'parties[1].colour: unknown field (known: id, name, host, port, fingerprint, suites)',
      'parties[1].port: expected an integer 1..65535, got 70000',
    ]);
  });

  it('refuses duplicate ids, fingerprints and addresses, and a default suite not everyone takes', () => {
    const f = good();
    f.parties.push({ ...f.parties[0]!, port: 7009, fingerprint: 'CC'.repeat(32) });
    expect(issues(f)).toEqual(['parties[2]: id already used by parties[0]']);
    const g = good();
    g.parties[1]!.fingerprint = FP1;
    g.parties[1]!.host = '10.0.0.1';
    g.parties[1]!.port = 7001;
    expect(issues(g)).toEqual([
      'parties[1]: fingerprint already used by parties[0]',
      'parties[1]: host and port already used by parties[0]',
    ]);
    expect(issues({ ...good(), suite: 'shamir' })).toEqual([
      "parties[0].suites: default suite 'shamir' is not among them",
    ]);
  });

  it('refuses wrong shapes at the top', () => {
    expect(issues([])).toEqual(['(top level): expected an object, got an array']);
    expect(issues({ parties: [] })).toEqual([
      'parties: expected an array of 1..65536 parties, got an array',
    ]);
    expect(issues({ parties: [{ id: 'bad id!' }] })[0]).toMatch(
      /^parties\[0\]\.id: expected an id/,
    );
    expect(issues({ ...good(), version: 2 })).toEqual(['version: expected 1, got 2']);
    expect(issues({ ...good(), transport: 'quic' })).toEqual([
      'transport: expected "tls" or "ws", got "quic"',
    ]);
    expect(validateFederation({ ...good(), transport: 'ws' }, 'f', KNOWN).transport).toBe('ws');
    expect(issues({ ...good(), maxFrameBytes: 10 })).toEqual([
      'maxFrameBytes: expected an integer 1024..4294967295, got 10',
    ]);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'entente-fed-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reports unreadable and unparsable files as ConfigError', async () => {
      await expect(loadFederation(join(dir, 'missing.json'))).rejects.toThrow(
        /missing\.json: \(file\): cannot read \(ENOENT\)/,
      );
      await writeFile(join(dir, 'bad.json'), '{ parties: ');
      await expect(loadFederation(join(dir, 'bad.json'))).rejects.toThrow(/not JSON/);
    });

    it('resolves a party file relative to its folder', async () => {
      const p = join(dir, 'alice.party.json');
      await writeFile(
        p,
        JSON.stringify({ party: 'alice', key: 'keys/alice.key', cert: '/etc/alice.crt' }),
      );
      expect(await loadPartyFile(p)).toEqual({
        party: 'alice',
        key: join(dir, 'keys/alice.key'),
        cert: '/etc/alice.crt',
        listen: undefined,
      });
      await writeFile(p, JSON.stringify({ party: 'alice', key: 3 }));
      await expect(loadPartyFile(p)).rejects.toThrow(
        /key: expected a file path, got 3; cert: expected a file path, got undefined/,
      );
    });

    it('writes a key readable by its owner only and a certificate with the printed fingerprint', async () => {
      const files = await writeIdentity(join(dir, 'keys'), 'carol');
      expect((await stat(files.keyPath)).mode & 0o777).toBe(0o600);
      const cert = await readFile(files.certPath, 'utf8');
      expect(certificateFingerprint(cert)).toBe(files.fingerprint);
      expect(normalizeFingerprint(files.fingerprint)).toBe(files.fingerprint);
      const loaded = await loadIdentity(files.keyPath, files.certPath);
      expect(loaded.fingerprint).toBe(files.fingerprint);
      await expect(writeIdentity(join(dir, 'keys'), 'carol')).rejects.toThrow(
        /exists; refusing to overwrite/,
      );
    });

    it('refuses a key that does not belong to the certificate, and bad ids', async () => {
      const a = await generateIdentity('a');
      const b = await generateIdentity('b');
      await writeFile(join(dir, 'a.key'), a.key);
      await writeFile(join(dir, 'b.crt'), b.cert);
      await expect(loadIdentity(join(dir, 'a.key'), join(dir, 'b.crt'))).rejects.toThrow(
        /is not the key of certificate/,
      );
      await expect(loadIdentity(join(dir, 'a.key'), join(dir, 'a.key'))).rejects.toThrow(
        /not an X\.509 certificate/,
      );
      await expect(generateIdentity('../etc')).rejects.toThrow(RangeError);
    });
  });
});
