/**
 * The federation file: who the parties are, where they listen and which
 * certificate each one presents. The same file is installed at every party;
 * its digest goes into the session tag of every frame, so parties holding
 * different files refuse each other at the first frame ('wrong-session')
 * instead of computing with mismatched settings. docs/OPERATIONS.md shows an
 * example.
 *
 * Validation reports every problem, each as `path: expected ..., got ...`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { normalizeFingerprint } from './fingerprint.js';
import { PARTY_ID } from './identity.js';

export interface FederationParty {
  readonly id: string;
  /** Display name, e.g. "Hospital A"; defaults to the id. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Canonical SHA-256 certificate fingerprint, AB:CD:... */
  readonly fingerprint: string;
  /** Suites this party takes part in. */
  readonly suites: readonly string[];
}

export interface FederationTimeouts {
  /** Bound on establishing every link at start-up. */
  readonly connectMs: number;
  /** Bound on waiting for one round's messages. */
  readonly roundMs: number;
  /** A link with nothing else to send for this long sends a heartbeat. */
  readonly heartbeatMs: number;
  /** A link on which nothing arrived (or nothing could be written) for this long is dead. */
  readonly idleMs: number;
}

export interface Federation {
  readonly version: 1;
  readonly name: string;
  /** Session id shared by the parties (overridable per run). */
  readonly session: string;
  /** Default suite, if the file names one. */
  readonly suite: string | undefined;
  /** What carries the frames: raw TLS (default) or WebSocket over TLS. */
  readonly transport: 'tls' | 'ws';
  readonly maxFrameBytes: number;
  readonly timeouts: FederationTimeouts;
  readonly parties: readonly FederationParty[];
  /** Hex SHA-256 of the normalised content: equal files give equal digests. */
  readonly digest: string;
}

export const DEFAULT_TIMEOUTS: FederationTimeouts = {
  connectMs: 30_000,
  roundMs: 60_000,
  heartbeatMs: 5_000,
  idleMs: 30_000,
};
export const DEFAULT_MAX_FRAME = 256 * 1024 * 1024;

export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A federation or party file that does not validate; lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: Json): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)
        : typeof v === 'object'
          ? 'an object'
          : String(v);

/** Collects issues while reading typed fields out of parsed JSON. */
class Reader {
  readonly issues: Issue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path: path === '' ? '(top level)' : path, message });
    return undefined;
  }

  object(v: Json, path: string, known: readonly string[]): Record<string, Json> | undefined {
    if (!isObject(v)) return this.fail(path, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!known.includes(k))
        this.fail(
          `${path === '' ? '' : `${path}.`}${k}`,
          `unknown field (known: ${known.join(', ')})`,
        );
    }
    return v;
  }

  string(v: Json, path: string, pattern?: RegExp, hint?: string): string | undefined {
    if (typeof v !== 'string' || v.length === 0 || v.length > 256 || (pattern && !pattern.test(v)))
      return this.fail(
        path,
        `expected ${hint ?? 'a string of 1..256 characters'}, got ${describe(v)}`,
      );
    return v;
  }

  int(v: Json, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return this.fail(path, `expected an integer ${min}..${max}, got ${describe(v)}`);
    return v;
  }
}

// A host name (RFC 1123 labels) or an IPv4 / bracket-less IPv6 literal.
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$/;
const TOP = [
  'version',
  'name',
  'session',
  'suite',
  'transport',
  'maxFrameBytes',
  'timeouts',
  'parties',
] as const;
const PARTY = ['id', 'name', 'host', 'port', 'fingerprint', 'suites'] as const;

export interface ParseOptions {
  /** Suite names this build knows; others are refused. */
  knownSuites?: readonly string[];
}

/**
 * Validates a parsed federation file.
 * @throws {ConfigError} listing every problem, each naming its field.
 */
export function validateFederation(raw: Json, source: string, opts: ParseOptions = {}): Federation {
  const r = new Reader();
  const top = r.object(raw, '', TOP);
  if (!top) throw new ConfigError(source, r.issues);
  if (top.version !== undefined && top.version !== 1)
    r.fail('version', `expected 1, got ${describe(top.version)}`);
  const name = top.name === undefined ? 'entente' : r.string(top.name, 'name');
  const session = top.session === undefined ? name : r.string(top.session, 'session');
  const suite = top.suite === undefined ? undefined : r.string(top.suite, 'suite');
  let transport: 'tls' | 'ws' = 'tls';
  if (top.transport === 'ws') transport = 'ws';
  else if (top.transport !== undefined && top.transport !== 'tls')
    r.fail('transport', `expected "tls" or "ws", got ${describe(top.transport)}`);
  const maxFrameBytes =
    top.maxFrameBytes === undefined
      ? DEFAULT_MAX_FRAME
      : r.int(top.maxFrameBytes, 'maxFrameBytes', 1024, 0xffff_ffff);
  let timeouts: FederationTimeouts = DEFAULT_TIMEOUTS;
  if (top.timeouts !== undefined) {
    const t = r.object(top.timeouts, 'timeouts', Object.keys(DEFAULT_TIMEOUTS));
    if (t) {
      const read = (k: keyof FederationTimeouts) =>
        t[k] === undefined ? DEFAULT_TIMEOUTS[k] : r.int(t[k], `timeouts.${k}`, 1, 86_400_000);
      const out = {
        connectMs: read('connectMs'),
        roundMs: read('roundMs'),
        heartbeatMs: read('heartbeatMs'),
        idleMs: read('idleMs'),
      };
      if (
        out.heartbeatMs !== undefined &&
        out.idleMs !== undefined &&
        out.idleMs <= 2 * out.heartbeatMs
      )
        r.fail(
          'timeouts.idleMs',
          `expected more than twice heartbeatMs (${out.heartbeatMs}), got ${out.idleMs}`,
        );
      if (Object.values(out).every((v) => v !== undefined)) timeouts = out as FederationTimeouts;
    }
  }

  const parties: FederationParty[] = [];
  if (!Array.isArray(top.parties) || top.parties.length === 0 || top.parties.length > 65_536) {
    r.fail('parties', `expected an array of 1..65536 parties, got ${describe(top.parties)}`);
  } else {
    top.parties.forEach((p: Json, i: number) => {
      const path = `parties[${i}]`;
      const o = r.object(p, path, PARTY);
      if (!o) return;
      const id = r.string(
        o.id,
        `${path}.id`,
        PARTY_ID,
        "an id of letters, digits, '_', '.', '-' (1..64)",
      );
      const display = o.name === undefined ? id : r.string(o.name, `${path}.name`);
      const host = r.string(o.host, `${path}.host`, HOST, 'a host name or IP address');
      const port = r.int(o.port, `${path}.port`, 1, 65535);
      const fp =
        typeof o.fingerprint === 'string' ? normalizeFingerprint(o.fingerprint) : undefined;
      if (fp === undefined)
        r.fail(
          `${path}.fingerprint`,
          `expected a SHA-256 fingerprint (64 hex digits, colons allowed), got ${describe(o.fingerprint)}`,
        );
      let suites: string[] | undefined;
      if (!Array.isArray(o.suites) || o.suites.length === 0) {
        r.fail(
          `${path}.suites`,
          `expected a non-empty array of suite names, got ${describe(o.suites)}`,
        );
      } else {
        suites = [];
        o.suites.forEach((s: Json, k: number) => {
          const v = r.string(s, `${path}.suites[${k}]`);
          if (v === undefined) return;
          if (opts.knownSuites && !opts.knownSuites.includes(v))
            r.fail(
              `${path}.suites[${k}]`,
              `expected one of ${opts.knownSuites.join(', ')}, got ${describe(v)}`,
            );
          else suites!.push(v);
        });
      }
      if (id && display && host && port && fp && suites)
        parties.push({ id, name: display, host, port, fingerprint: fp, suites });
    });
    const seen = (key: (p: FederationParty) => string, what: string) => {
      const first = new Map<string, number>();
      parties.forEach((p, i) => {
        const k = key(p);
        const j = first.get(k);
        if (j !== undefined) r.fail(`parties[${i}]`, `${what} already used by parties[${j}]`);
        else first.set(k, i);
      });
    };
    if (parties.length === top.parties.length) {
      seen((p) => p.id, 'id');
      seen((p) => p.fingerprint, 'fingerprint');
      seen((p) => `${p.host.toLowerCase()}:${p.port}`, 'host and port');
    }
  }
  if (suite !== undefined) {
    if (opts.knownSuites && !opts.knownSuites.includes(suite))
      r.fail('suite', `expected one of ${opts.knownSuites.join(', ')}, got ${describe(suite)}`);
    parties.forEach((p, i) => {
      if (!p.suites.includes(suite))
        r.fail(`parties[${i}].suites`, `default suite '${suite}' is not among them`);
    });
  }
  if (r.issues.length > 0 || !name || !session || maxFrameBytes === undefined)
    throw new ConfigError(source, r.issues);

  const body = {
    version: 1 as const,
    name,
    session,
    suite,
    transport,
    maxFrameBytes,
    timeouts,
    parties,
  };
  return { ...body, digest: createHash('sha256').update(canonicalJson(body)).digest('hex') };
}

/**
 * Reads and validates a federation file (JSON).
 * @throws {ConfigError} for unreadable, unparsable or invalid files.
 */
export async function loadFederation(path: string, opts: ParseOptions = {}): Promise<Federation> {
  return validateFederation(await readJson(path), path, opts);
}

/** The per-party file: this party's own key and certificate, and where to listen. */
export interface PartyFile {
  readonly party: string;
  readonly key: string;
  readonly cert: string;
  /** Address to bind; defaults to the party's host in the federation file. */
  readonly listen: string | undefined;
}

/**
 * Reads a per-party file; relative paths are resolved against its folder.
 * @throws {ConfigError} naming each bad field.
 */
export async function loadPartyFile(path: string): Promise<PartyFile> {
  const raw = await readJson(path);
  const r = new Reader();
  const o = r.object(raw, '', ['party', 'key', 'cert', 'listen']);
  if (!o) throw new ConfigError(path, r.issues);
  const party = r.string(o.party, 'party', PARTY_ID, 'a party id');
  const key = r.string(o.key, 'key', undefined, 'a file path');
  const cert = r.string(o.cert, 'cert', undefined, 'a file path');
  const listen =
    o.listen === undefined ? undefined : r.string(o.listen, 'listen', HOST, 'an address');
  if (r.issues.length > 0 || !party || !key || !cert) throw new ConfigError(path, r.issues);
  const base = dirname(resolve(path));
  return { party, key: resolve(base, key), cert: resolve(base, cert), listen };
}

async function readJson(path: string): Promise<Json> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [
      { path: '(file)', message: `cannot read (${(e as NodeJS.ErrnoException).code ?? e})` },
    ]);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ConfigError(path, [{ path: '(file)', message: `not JSON: ${(e as Error).message}` }]);
  }
}

/** JSON with object keys sorted, so equal content gives equal bytes. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
