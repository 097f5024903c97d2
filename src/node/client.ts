/**
 * A client of a node's API (the CLI's and the tests'): pins the node's
 * certificate, sends the user's token, and turns error answers into
 * ClientError with the node's message and status.
 */
import { pinnedRequest } from './pinned-https.js';

export interface NodeProfile {
  /** https://host:port of the node's API. */
  readonly node: string;
  /** The SHA-256 fingerprint of the node's certificate. */
  readonly fingerprint: string;
  readonly token: string;
}

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class NodeClient {
  constructor(
    readonly profile: NodeProfile,
    private readonly timeoutMs = 30_000,
  ) {}

  async call<T = unknown>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const r = await pinnedRequest({
      url: `${this.profile.node}${path}`,
      fingerprint: this.profile.fingerprint,
      method,
      body,
      headers: { authorization: `Bearer ${this.profile.token}` },
      timeoutMs: this.timeoutMs,
    });
    if (r.status >= 300) {
      const msg = (r.body as { error?: string } | undefined)?.error ?? r.text.slice(0, 500);
      throw new ClientError(`${this.profile.node}: ${r.status}: ${msg}`, r.status);
    }
    return r.body as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
}
