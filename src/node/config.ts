/**
 * A node's folder and configuration.
 *
 *   DIR/node.json         the configuration below (no secrets in it unless the
 *                         database URL carries a password; prefer ENTENTE_DATABASE_URL)
 *   DIR/identity/ID.key   the node's private key (mode 0600) and ID.crt, its
 *                         self-signed certificate: TLS for the API, the MPC links
 *                         and node-to-node calls, and the signing key of the audit log
 *   DIR/db/               the embedded PGlite database (unless a PostgreSQL URL is set)
 *   DIR/runs/RUN/         the working files of each run (study, federation, outcome)
 *
 * Peers are pinned by certificate fingerprint, as in a federation file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  importIdentity,
  loadIdentity,
  PARTY_ID,
  writeIdentity,
  type Identity,
} from '../adapters/node/net/identity.js';
import { normalizeFingerprint } from '../adapters/node/net/fingerprint.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface PeerConfig {
  readonly id: string;
  /** The peer's API, e.g. https://hospital-b.example:7100 */
  readonly api: string;
  /** Where the peer's MPC party listens during runs. */
  readonly mpc: Endpoint;
  /** SHA-256 fingerprint of the peer's certificate (AB:CD:...). */
  readonly fingerprint: string;
}

export interface NodeConfig {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  readonly api: Endpoint;
  readonly mpc: Endpoint;
  /**
   * The address the API and the MPC party bind to, when it is not the advertised host
   * (in a container or behind a load balancer: 0.0.0.0, with `api.host`/`mpc.host` the
   * name peers reach). Absent: each binds to its advertised host.
   */
  readonly listen?: string;
  /** 'embedded' (PGlite under DIR/db) or a postgres:// URL. */
  readonly database: string;
  readonly peers: readonly PeerConfig[];
  /** Bounds on a run: links must be up within connectMs; a whole run within runMs. */
  readonly timeouts: {
    readonly connectMs: number;
    readonly roundMs: number;
    readonly runMs: number;
  };
}

export const DEFAULT_NODE_TIMEOUTS = { connectMs: 30_000, roundMs: 60_000, runMs: 3_600_000 };

/** A problem with a node's folder or configuration: exit status 2, names the file and field. */
export class NodeConfigError extends Error {
  override readonly name = 'NodeConfigError';
}

export const configPath = (dir: string) => join(resolve(dir), 'node.json');
export const identityDir = (dir: string) => join(resolve(dir), 'identity');
export const databaseDir = (dir: string) => join(resolve(dir), 'db');
export const runsDir = (dir: string) => join(resolve(dir), 'runs');

export interface InitOptions {
  readonly dir: string;
  readonly id: string;
  readonly name?: string;
  readonly api?: Endpoint;
  readonly mpc?: Endpoint;
  readonly listen?: string;
  readonly database?: string;
  /**
   * A folder holding this node's existing ID.key and ID.crt (e.g. a mounted secret):
   * copied in, after checking that they belong together, instead of generating new ones.
   */
  readonly identityFrom?: string;
}

/**
 * Creates a node's folder: identity, configuration. Refuses an existing node.
 * @returns the configuration and the certificate fingerprint peers must pin.
 */
export async function initNode(
  o: InitOptions,
): Promise<{ config: NodeConfig; fingerprint: string }> {
  if (!PARTY_ID.test(o.id))
    throw new NodeConfigError(
      `--id: expected letters, digits, '_', '.', '-' (1..64, starting with a letter or digit), got '${o.id}'`,
    );
  const file = configPath(o.dir);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined)
    throw new NodeConfigError(`${file} exists: this folder is a node already`);
  await mkdir(resolve(o.dir), { recursive: true, mode: 0o700 });
  const ids = await (
    o.identityFrom === undefined
      ? writeIdentity(identityDir(o.dir), o.id)
      : importIdentity(o.identityFrom, identityDir(o.dir), o.id)
  ).catch((e: Error) => {
    throw new NodeConfigError(e.message);
  });
  const config: NodeConfig = {
    version: 1,
    id: o.id,
    name: o.name ?? o.id,
    api: o.api ?? { host: '127.0.0.1', port: 7100 },
    mpc: o.mpc ?? { host: '127.0.0.1', port: 7200 },
    ...(o.listen === undefined ? {} : { listen: o.listen }),
    database: o.database ?? 'embedded',
    peers: [],
    timeouts: DEFAULT_NODE_TIMEOUTS,
  };
  await writeConfig(o.dir, config);
  return { config, fingerprint: ids.fingerprint };
}

export async function writeConfig(dir: string, config: NodeConfig): Promise<void> {
  await writeFile(configPath(dir), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

/** Reads and checks DIR/node.json. @throws {NodeConfigError} naming the file and field. */
export async function loadConfig(dir: string): Promise<NodeConfig> {
  const file = configPath(dir);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NodeConfigError(
      code === 'ENOENT'
        ? `${file}: no node here; create one with 'entente node init --dir ${dir} --id ORG'`
        : `${file}: not JSON (${(e as Error).message})`,
    );
  }
  const issues: string[] = [];
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown, path: string): string => {
    if (typeof v !== 'string' || v === '') issues.push(`${path}: expected a non-empty string`);
    return String(v ?? '');
  };
  const endpoint = (v: unknown, path: string): Endpoint => {
    const e = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const port = e.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
      issues.push(`${path}.port: expected an integer in 0..65535, got ${JSON.stringify(port)}`);
    return { host: str(e.host, `${path}.host`), port: Number(port) };
  };
  if (o.version !== 1) issues.push(`version: expected 1, got ${JSON.stringify(o.version)}`);
  const id = str(o.id, 'id');
  if (!PARTY_ID.test(id)) issues.push(`id: '${id}' is not a valid node id`);
  const peers = Array.isArray(o.peers) ? o.peers : (issues.push('peers: expected a list'), []);
  const t = (typeof o.timeouts === 'object' && o.timeouts !== null ? o.timeouts : {}) as Record<
    string,
    unknown
  >;
  const ms = (k: keyof typeof DEFAULT_NODE_TIMEOUTS): number => {
    const v = t[k] ?? DEFAULT_NODE_TIMEOUTS[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 86_400_000)
      issues.push(
        `timeouts.${k}: expected milliseconds in 100..86400000, got ${JSON.stringify(v)}`,
      );
    return Number(v);
  };
  const config: NodeConfig = {
    version: 1,
    id,
    name: typeof o.name === 'string' ? o.name : id,
    api: endpoint(o.api, 'api'),
    mpc: endpoint(o.mpc, 'mpc'),
    ...(o.listen === undefined ? {} : { listen: str(o.listen, 'listen') }),
    database: str(o.database ?? 'embedded', 'database'),
    peers: peers.map((p: unknown, i: number) => {
      const q = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
      const fp = normalizeFingerprint(String(q.fingerprint ?? ''));
      if (!fp) issues.push(`peers[${i}].fingerprint: expected a SHA-256 fingerprint (AB:CD:...)`);
      const api = str(q.api, `peers[${i}].api`);
      if (!/^https:\/\//.test(api))
        issues.push(`peers[${i}].api: expected an https:// URL, got '${api}'`);
      return {
        id: str(q.id, `peers[${i}].id`),
        api,
        mpc: endpoint(q.mpc, `peers[${i}].mpc`),
        fingerprint: fp ?? '',
      };
    }),
    timeouts: { connectMs: ms('connectMs'), roundMs: ms('roundMs'), runMs: ms('runMs') },
  };
  const seen = new Set<string>([id]);
  config.peers.forEach((p, i) => {
    if (seen.has(p.id)) issues.push(`peers[${i}].id: '${p.id}' appears twice (or is this node)`);
    seen.add(p.id);
  });
  if (issues.length > 0) throw new NodeConfigError(`${file}: ${issues.join('; ')}`);
  return config;
}

export async function loadNodeIdentity(dir: string, id: string): Promise<Identity> {
  const d = identityDir(dir);
  return loadIdentity(join(d, `${id}.key`), join(d, `${id}.crt`)).catch((e: Error) => {
    throw new NodeConfigError(e.message);
  });
}
