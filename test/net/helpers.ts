/**
 * Helpers for the network tests: identities, TLS sessions of N parties on
 * 127.0.0.1 (ephemeral ports), a hand-driven "rogue" peer that writes chosen
 * bytes, and bounded waiting for child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type TLSSocket } from 'node:tls';
import { generateIdentity, type Identity } from '../../src/adapters/node/net/identity.js';
import {
  ALPN,
  TlsEndpoint,
  type TlsEndpointOptions,
  type TlsSessionOptions,
  type TlsTransport,
} from '../../src/adapters/node/net/tls.js';
import type { Endpoint } from '../../src/adapters/node/net/endpoint.js';
import {
  encodeFrame,
  encodeHello,
  FrameDecoder,
  FrameKind,
  sessionTag,
  type Frame,
} from '../../src/transport/frame.js';

const cache = new Map<string, Promise<Identity>>();

/** A key and self-signed certificate for `id` (cached per test file). */
export function identity(id: string): Promise<Identity> {
  let p = cache.get(id);
  if (!p) cache.set(id, (p = generateIdentity(id)));
  return p;
}

export interface Net {
  endpoints: Endpoint[];
  ids: Identity[];
  peers: Array<{ id: string; host: string; port: number; fingerprint: string }>;
  logs: string[][];
}

/** A carrier's listen(): TlsEndpoint.listen or WsEndpoint.listen. */
export type Listen = (opts: TlsEndpointOptions) => Promise<Endpoint>;

/** Listening endpoints for parties p1..pn on 127.0.0.1, port 0. */
export async function listenAll(
  n: number,
  prefix = 'p',
  listen: Listen = (o) => TlsEndpoint.listen(o),
): Promise<Net> {
  const ids = await Promise.all(Array.from({ length: n }, (_, i) => identity(`${prefix}${i + 1}`)));
  const logs = ids.map(() => [] as string[]);
  const endpoints = await Promise.all(
    ids.map((idn, i) =>
      listen({
        host: '127.0.0.1',
        port: 0,
        key: idn.key,
        cert: idn.cert,
        log: (l) => logs[i]!.push(l),
      }),
    ),
  );
  const peers = ids.map((idn, i) => ({
    id: `${prefix}${i + 1}`,
    host: '127.0.0.1',
    port: endpoints[i]!.port,
    fingerprint: idn.fingerprint,
  }));
  return { endpoints, ids, peers, logs };
}

/** Connects every endpoint of `net` into one session. */
export function connectAll(
  net: Net,
  opts: Partial<TlsSessionOptions> = {},
): Promise<TlsTransport[]> {
  return Promise.all(
    net.endpoints.map((ep, i) =>
      ep.connect({
        self: i,
        peers: net.peers,
        sessionId: 'test',
        connectTimeoutMs: 10_000,
        ...opts,
      }),
    ),
  );
}

/** A peer driven by hand: a raw TLS socket that speaks frames only when told. */
export class Rogue {
  readonly frames: Frame[] = [];
  readonly decoder = new FrameDecoder();
  closed = false;
  #waiters: Array<() => void> = [];

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (c: Buffer) => {
      this.frames.push(...this.decoder.push(c).frames);
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Dials `port` presenting `idn`; resolves once TLS is up. */
  static dial(port: number, idn: Identity, extra: { maxVersion?: 'TLSv1.2' } = {}): Promise<Rogue> {
    return new Promise((resolve, reject) => {
      const s = connect({
        host: '127.0.0.1',
        port,
        key: idn.key,
        cert: idn.cert,
        rejectUnauthorized: false,
        ALPNProtocols: [ALPN],
        ...(extra.maxVersion
          ? { maxVersion: extra.maxVersion }
          : { minVersion: 'TLSv1.3' as const }),
      });
      s.once('secureConnect', () => resolve(new Rogue(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  hello(sender: number, parties: number, session = 'test'): void {
    this.write(
      encodeFrame(
        { kind: FrameKind.hello, sender, round: 0, session: sessionTag(session) },
        encodeHello(parties),
      ),
    );
  }

  data(sender: number, round: number, payload: Uint8Array, session = 'test'): void {
    this.write(
      encodeFrame({ kind: FrameKind.data, sender, round, session: sessionTag(session) }, payload),
    );
  }

  /** Resolves when `pred` holds, or rejects after `ms`. */
  until(pred: () => boolean, ms = 10_000): Promise<void> {
    return bounded(
      new Promise<void>((resolve) => {
        const check = () => (pred() ? resolve() : this.#waiters.push(check));
        check();
      }),
      ms,
      'rogue condition',
    );
  }
}

/** `p`, or a rejection after `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A child process of the `entente` CLI, with its output collected. */
export class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #waiters: Array<() => void> = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ['bin/entente.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.#wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.#wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.#wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves when stderr matches `re` (bounded). */
  stderrMatches(re: RegExp, ms = 20_000): Promise<void> {
    return bounded(
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(this.stderr)) resolve();
          else if (this.child.exitCode !== null || this.child.signalCode !== null)
            reject(new Error(`exited before stderr matched ${re}: ${this.stderr}`));
          else this.#waiters.push(check);
        };
        check();
      }),
      ms,
      `stderr ${re}`,
    );
  }

  /** The exit, or a rejection after `ms` (the process is then killed). */
  exit(ms = 30_000): Promise<Exit> {
    return bounded(this.exited, ms, `entente ${this.child.spawnargs.slice(2).join(' ')}`).catch(
      (e: unknown) => {
        this.kill();
        throw e;
      },
    );
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
