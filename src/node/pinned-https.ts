/**
 * HTTPS requests to a server whose self-signed certificate is pinned by its
 * SHA-256 fingerprint (nodes to each other, the CLI to its node). The body
 * is sent only after the handshake showed the pinned certificate, every
 * request has a deadline, and nodes present their own certificate so the
 * receiving node knows which peer is calling.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface PinnedRequest {
  readonly url: string;
  /** Fingerprint the server must present (AB:CD:...). */
  readonly fingerprint: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Client certificate and key (PEM), for node-to-node calls. */
  readonly clientCert?: { readonly cert: string; readonly key: string };
  readonly timeoutMs?: number;
}

export interface PinnedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  /** The server's certificate (PEM), whose fingerprint was checked. */
  readonly certPem: string;
}

/** The server could not be reached, was not the pinned one, or did not answer in time. */
export class PinnedRequestError extends Error {
  override readonly name = 'PinnedRequestError';
}

const MAX_RESPONSE = 64 * 1024 * 1024;

export function pinnedRequest(o: PinnedRequest): Promise<PinnedResponse> {
  const url = new URL(o.url);
  const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  const timeoutMs = o.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new PinnedRequestError(`${o.method} ${url.origin}${url.pathname}: ${why}`));
    };
    const req = request(
      {
        host: url.hostname,
        port: url.port || 443,
        path: url.pathname + url.search,
        method: o.method,
        agent: false,
        // Self-signed certificates: trust is the fingerprint check below, not a CA.
        rejectUnauthorized: false,
        ...(o.clientCert ? { cert: o.clientCert.cert, key: o.clientCert.key } : {}),
        headers: {
          accept: 'application/json',
          ...(body
            ? { 'content-type': 'application/json', 'content-length': String(body.length) }
            : {}),
          ...o.headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) fail(`answer larger than ${MAX_RESPONSE} bytes`);
          else chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // Left as text: the caller reports the status and text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, certPem });
        });
        res.on('error', (e) => fail(e.message));
      },
    );
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    req.on('timeout', () => fail(`no answer within ${timeoutMs} ms`));
    req.on('error', (e) => fail((e as NodeJS.ErrnoException).code ?? e.message));
    let certPem = '';
    req.on('socket', (s) => {
      (s as TLSSocket).once('secureConnect', () => {
        const x509 = (s as TLSSocket).getPeerX509Certificate();
        const fp = x509?.fingerprint256;
        certPem = x509?.toString() ?? '';
        if (fp !== o.fingerprint)
          return fail(
            `the server presented certificate ${fp ?? '(none)'}, but ${o.fingerprint} is pinned`,
          );
        req.end(body);
      });
    });
  });
}
