/**
 * Starts a node: configuration, identity, database (migrated), recovery of
 * interrupted runs, then the API over TLS on the configured address. The same
 * certificate serves users (who pin its fingerprint) and peers (whose own
 * certificates are checked per request on /v1/federation/*).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import {
  databaseDir,
  loadConfig,
  loadNodeIdentity,
  NodeConfigError,
  type NodeConfig,
} from './config.js';
import { createApp } from './http/app.js';
import { PartyNode } from './service.js';
import { openStore, type StoreLocation } from './store/store.js';

export interface StartOptions {
  readonly dir: string;
  /** Overrides the configuration's database (a postgres:// URL, or 'embedded'). */
  readonly database?: string;
  /** Overrides the API port (0: any free port; tests). */
  readonly apiPort?: number;
  readonly log?: (line: string) => void;
  /** How often the node catches up with its peers (missed proposals and decisions). */
  readonly syncMs?: number;
}

export interface RunningNode {
  readonly node: PartyNode;
  readonly server: Server;
  /** https://host:port of the API. */
  readonly url: string;
  close(): Promise<void>;
}

/** Where the database is: option, then ENTENTE_DATABASE_URL, then the configuration. */
export function storeLocation(dir: string, config: NodeConfig, override?: string): StoreLocation {
  const db = override ?? process.env.ENTENTE_DATABASE_URL ?? config.database;
  if (db === 'embedded') return { kind: 'pglite', dir: databaseDir(dir) };
  if (/^postgres(ql)?:\/\//.test(db)) return { kind: 'postgres', url: db };
  throw new NodeConfigError(`database: expected 'embedded' or a postgres:// URL`);
}

/** The embedded database is one process's: a second node on the same folder is refused. */
async function lock(dir: string): Promise<() => Promise<void>> {
  const file = join(resolve(dir), 'node.pid');
  const other = Number(await readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(other) && other > 0 && other !== process.pid) {
    let alive = true;
    try {
      process.kill(other, 0);
    } catch {
      alive = false;
    }
    if (alive) throw new NodeConfigError(`${file}: the node is running already (process ${other})`);
  }
  await writeFile(file, `${process.pid}\n`);
  return () => rm(file, { force: true });
}

export async function startNode(o: StartOptions): Promise<RunningNode> {
  const config = await loadConfig(o.dir);
  const identity = await loadNodeIdentity(o.dir, config.id);
  const where = storeLocation(o.dir, config, o.database);
  const unlock = where.kind === 'pglite' ? await lock(o.dir) : async () => undefined;
  let store;
  try {
    store = await openStore(where);
  } catch (e) {
    await unlock();
    throw e;
  }
  const node = new PartyNode({
    dir: o.dir,
    config,
    store,
    identity,
    ...(o.log ? { log: o.log } : {}),
  });
  const recovered = await node.runner.recover();
  if (recovered > 0) node.log(`${recovered} run(s) interrupted by the last stop are marked failed`);
  const app = createApp(node);
  const server = createServer(
    {
      key: identity.key,
      cert: identity.cert,
      minVersion: 'TLSv1.3',
      // Peers present their certificate; users need not. Trust is the pinned fingerprint.
      requestCert: true,
      rejectUnauthorized: false,
      requestTimeout: 60_000,
      headersTimeout: 20_000,
    },
    getRequestListener(app.fetch),
  );
  const port = o.apiPort ?? config.api.port;
  const bindHost = config.listen ?? config.api.host;
  await new Promise<void>((res, rej) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      rej(new NodeConfigError(`cannot listen on ${bindHost}:${port} (${e.code ?? e.message})`)),
    );
    server.listen(port, bindHost, () => res());
  }).catch(async (e) => {
    await node.close();
    await unlock();
    throw e;
  });
  const addr = server.address() as AddressInfo;
  const url = `https://${config.api.host}:${addr.port}`;
  node.log(`API on ${url} (certificate ${identity.fingerprint}), database ${store.backend}`);
  // Catch up with the peers (what they sent while this node was down), then start
  // proposals approved meanwhile that this node coordinates; then keep catching up.
  const catchUp = async () => {
    await node.sync().catch((e: Error) => node.log(`sync: ${e.message}`));
    await node.resumeApproved().catch((e: Error) => node.log(`resume: ${e.message}`));
  };
  void catchUp();
  const syncTimer = setInterval(() => void catchUp(), o.syncMs ?? 10_000);
  syncTimer.unref();
  return {
    node,
    server,
    url,
    close: async () => {
      clearInterval(syncTimer);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await node.close();
      await unlock();
    },
  };
}
