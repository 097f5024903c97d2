/**
 * `entente election serve --dir DIR [--host H] [--port P]`: the ballot box of
 * an election folder, with its voting page (docs/VOTE.md, "Voting in a
 * browser"). The page (web/vote.html, built with the dashboard into
 * web/dist) encrypts and proves each ballot in the voter's browser; this
 * server only hands out the election's public context, opens a chain of
 * confirmation codes per page (a device), and checks each submitted ballot
 * (src/vote/intake.ts) before it appends it to DIR/ballots/DEVICE.json,
 * where `election tally` and `election publish` find it as they find the
 * ballots of `election vote`.
 *
 *   GET  /                     the voting page (and /assets/*)
 *   GET  /api/election         the public context (manifest, ceremony transcript, key, H_E)
 *   POST /api/devices          opens a device: { device, previousCode }
 *   POST /api/ballots          a ballot as JSON: 201 { id, state, code }, or 4xx { error }
 *   GET  /api/ballots/CODE     a submitted ballot's state (and a spoiled one's choices)
 *
 * Plain HTTP on 127.0.0.1 by default: in a polling place the page is served
 * over TLS by a reverse proxy in front of it (the browser's WebCrypto needs
 * a secure context, which localhost is).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nodeCryptoProvider as crypto } from '../adapters/node/crypto.js';
import { SECURITY_HEADERS, staticFile, WEB_DIST } from '../node/http/static.js';
import type { EncryptedBallot } from '../vote/ballot.js';
import type { Election } from '../vote/election.js';
import { BallotBox, BallotRejected, electionContextJson } from '../vote/intake.js';
import { ballotJson } from '../vote/record.js';
import { loadBallots, loadElection, loadSetup, writePublic } from './election.js';
import { signalExit, UsageError } from './exit.js';

/** A ballot's JSON is a few kilobytes per contest; anything this large is refused unread. */
const MAX_BODY = 1 << 20;
/** A client that has not sent its whole body by then is cut off. */
const BODY_TIMEOUT_MS = 10_000;

export interface BallotServer {
  readonly url: string;
  readonly box: BallotBox;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly dir: string;
  readonly host?: string;
  readonly port?: number;
  /** The folder holding vote.html and assets/ (default: the built dashboard, web/dist). */
  readonly pageRoot?: string;
  /** Called for each accepted ballot (the CLI prints a line). */
  readonly onBallot?: (b: EncryptedBallot) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/json')
      return reject(new HttpError(415, 'expected Content-Type: application/json'));
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY)
      return reject(new HttpError(413, `a ballot is at most ${MAX_BODY} bytes`));
    const parts: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new HttpError(408, `the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s`));
      req.destroy();
    }, BODY_TIMEOUT_MS);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        clearTimeout(timer);
        reject(new HttpError(413, `a ballot is at most ${MAX_BODY} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Starts the ballot box of an election folder whose key ceremony is finalised. */
export async function startBallotServer(o: ServeOptions): Promise<BallotServer> {
  const named = new Map([['dir', o.dir]]);
  const setup = await loadSetup(named, 'election serve');
  const election: Election = await loadElection(setup);
  const devices = await loadBallots(setup);
  const box = new BallotBox(
    election,
    devices.flatMap((d) => d.ballots),
  );
  // Each device's accepted ballots, as written to its file.
  const stored = new Map(devices.map((d) => [d.device, d.ballots.map(ballotJson)]));
  const byCode = new Map<string, EncryptedBallot>();
  for (const d of devices) for (const b of d.ballots) byCode.set(b.code, b);
  const context = JSON.stringify(electionContextJson(election));
  const root = o.pageRoot ?? WEB_DIST;
  // Writes one at a time, in the order the ballots were accepted.
  let writing: Promise<void> = Promise.resolve();

  const persist = (device: string) => {
    const closing = box.closingCodes().find((c) => c.id === device)!.closingCode;
    const ballots = stored.get(device)!;
    const file = join(setup.dir, 'ballots', `${device}.json`);
    const next = writing.then(() =>
      writePublic(file, { device, closingCode: closing, ballots: [...ballots] }),
    );
    writing = next.catch(() => undefined);
    return next;
  };

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/api/election' && req.method === 'GET') {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
      });
      res.end(context);
      return;
    }
    if (path === '/api/devices' && req.method === 'POST') {
      const bytes = new Uint8Array(8);
      crypto.randomFill(bytes);
      const device = `web-${bytesToHex(bytes)}`;
      return send(res, 201, { device, previousCode: box.open(device) });
    }
    if (path === '/api/ballots' && req.method === 'POST') {
      const text = await readBody(req);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'the body is not JSON');
      }
      const b = box.accept(json);
      if (!stored.has(b.device)) stored.set(b.device, []);
      stored.get(b.device)!.push(ballotJson(b));
      byCode.set(b.code, b);
      await persist(b.device);
      o.onBallot?.(b);
      return send(res, 201, {
        id: b.id,
        state: b.state,
        code: b.code,
        ...(b.state === 'spoiled' ? { reencrypted: true } : {}),
      });
    }
    const m = /^\/api\/ballots\/([0-9a-f]{64})$/.exec(path);
    if (m && req.method === 'GET') {
      const b = byCode.get(m[1]!);
      if (!b) throw new HttpError(404, 'no ballot with that confirmation code');
      return send(res, 200, {
        id: b.id,
        device: b.device,
        state: b.state,
        code: b.code,
        ...(b.spoiled ? { choices: b.spoiled.choices } : {}),
      });
    }
    const known = ['/api/election', '/api/devices', '/api/ballots'].includes(path);
    throw new HttpError(known ? 405 : 404, `no ${req.method} ${path}`);
  }

  async function page(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only');
    const wanted = path === '/' ? '/vote.html' : path;
    const f =
      wanted === '/vote.html' || wanted.startsWith('/assets/')
        ? await staticFile(wanted, root)
        : undefined;
    if (!f) {
      if (wanted === '/vote.html')
        throw new HttpError(
          503,
          "the voting page is not built (web/dist/vote.html): run 'npm run build:web'",
        );
      throw new HttpError(404, `no ${path}`);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': f.type,
      'Cache-Control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = path.startsWith('/api/') ? api : page;
    handler(req, res, path).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof BallotRejected) return send(res, e.status, { error: e.message });
      if (e instanceof HttpError) return send(res, e.status, { error: e.message });
      console.error(`election serve: ${req.method} ${path}: ${(e as Error).message}`);
      send(res, 500, { error: 'internal error (see the server log)' });
    });
  });
  server.requestTimeout = 30_000;
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    box,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => void writing.then(() => resolve()));
      }),
  };
}

export async function serveCommand(named: ReadonlyMap<string, string>): Promise<number> {
  const dir = named.get('dir');
  if (!dir) throw new UsageError('election serve: --dir is required');
  const portText = named.get('port') ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      `election serve: --port must be an integer in 0..65535, got '${portText}'`,
    );
  let server: BallotServer;
  try {
    server = await startBallotServer({
      dir,
      port,
      ...(named.has('host') ? { host: named.get('host')! } : {}),
      onBallot: (b) => console.log(`${b.id} (device ${b.device}): ${b.state}, code ${b.code}`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new UsageError(`election serve: cannot listen on port ${port}: ${code}`);
    throw e;
  }
  console.log(
    `ballot box of ${dir} (${server.box.size} ballots so far); voting page at ${server.url}`,
  );
  return new Promise<number>((done) => {
    const stop = (sig: NodeJS.Signals) => void server.close().then(() => done(signalExit(sig)));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
