/**
 * Several nodes on this machine, wired as peers on free loopback ports: for
 * the demo, the tests and the benchmark. Each gets its own folder, identity
 * and database, exactly as `entente node init` makes them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '../adapters/node/net/ports.js';
import { appendAudit } from './audit.js';
import { addUser } from './auth.js';
import { signerFromPem } from './signer.js';
import {
  initNode,
  loadConfig,
  loadNodeIdentity,
  NodeConfigError,
  writeConfig,
  type NodeConfig,
} from './config.js';
import type { NodeProfile } from './client.js';
import { startNode, storeLocation, type RunningNode } from './server.js';
import { openStore } from './store/store.js';

export interface LocalNodeSpec {
  readonly id: string;
  readonly name?: string;
  /** 'embedded' (default) or a postgres:// URL. */
  readonly database?: string;
}

/** Creates node folders under root with API and MPC ports, each listing the others as peers. */
export async function initLocalNodes(
  root: string,
  specs: readonly LocalNodeSpec[],
): Promise<string[]> {
  const ports = await freePorts(2 * specs.length);
  const made: { dir: string; config: NodeConfig; fingerprint: string }[] = [];
  for (const [i, s] of specs.entries()) {
    const dir = join(root, s.id);
    const r = await initNode({
      dir,
      id: s.id,
      ...(s.name ? { name: s.name } : {}),
      api: { host: '127.0.0.1', port: ports[2 * i]! },
      mpc: { host: '127.0.0.1', port: ports[2 * i + 1]! },
      ...(s.database ? { database: s.database } : {}),
    });
    made.push({ dir, ...r });
  }
  for (const m of made) {
    const peers = made
      .filter((o) => o !== m)
      .map((o) => ({
        id: o.config.id,
        api: `https://${o.config.api.host}:${o.config.api.port}`,
        mpc: o.config.mpc,
        fingerprint: o.fingerprint,
      }));
    await writeConfig(m.dir, { ...m.config, peers });
  }
  return made.map((m) => m.dir);
}

/**
 * Adds a user directly in a stopped node's database (bootstrap: the first
 * owner), returning a profile the CLI and clients can use once it runs.
 */
export async function addLocalUser(dir: string, name: string, role: string): Promise<NodeProfile> {
  const config = await loadConfig(dir);
  const where = storeLocation(dir, config);
  // The embedded database belongs to one process: not while the node runs.
  if (where.kind === 'pglite') {
    const pid = Number(await readFile(join(dir, 'node.pid'), 'utf8').catch(() => ''));
    if (pid > 0 && pid !== process.pid && isAlive(pid))
      throw new NodeConfigError(
        `the node in ${dir} is running (process ${pid}); stop it, or add users through its API (POST /v1/users as an owner)`,
      );
  }
  const store = await openStore(where);
  try {
    const id = await loadNodeIdentity(dir, config.id);
    const { token } = await store.db.transaction().execute(async (tx) => {
      const made = await addUser(tx, name, role);
      await appendAudit(tx, signerFromPem(config.id, id.key), {
        kind: 'user.added',
        actor: 'operator',
        body: { name, role },
      });
      return made;
    });
    return {
      node: `https://${config.api.host}:${config.api.port}`,
      fingerprint: id.fingerprint,
      token,
    };
  } finally {
    await store.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts every node folder in this process. */
export async function startLocalNodes(
  dirs: readonly string[],
  log?: (line: string) => void,
): Promise<RunningNode[]> {
  return Promise.all(dirs.map((dir) => startNode({ dir, ...(log ? { log } : {}) })));
}
