/**
 * Serves a DAP aggregator over HTTP on a loopback or public address. DAP
 * requires HTTPS between parties; this listener is for tests, benchmarks and
 * deployment behind a TLS-terminating proxy (docs/DAP.md).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { DapAggregator, type DapAggregatorOptions } from './aggregator.js';
import { createDapApp, type DapAppOptions } from './app.js';

export interface RunningDap {
  readonly aggregator: DapAggregator;
  readonly server: Server;
  /** http://host:port/ */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveDap(
  o: DapAggregatorOptions & DapAppOptions & { readonly host?: string; readonly port?: number },
): Promise<RunningDap> {
  const aggregator = new DapAggregator(o);
  const app = createDapApp(aggregator, o);
  const server = createServer(getRequestListener(app.fetch));
  // Bounded: a stalled client cannot hold a connection open forever.
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    aggregator,
    server,
    url: `http://${host}:${a.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
