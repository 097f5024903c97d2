/**
 * The dashboard's files (web/dist, built by `npm install` or `npm run
 * build:web`), served on the API's origin. Only files inside that folder are
 * served; the page may run only the bundle's own scripts (CSP: no inline
 * scripts, nothing from elsewhere).
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Headers on every answer of the node (harmless on JSON, essential on the pages). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface StaticFile {
  readonly body: Uint8Array;
  readonly type: string;
  /** Hashed asset names never change content: cache them for long. */
  readonly immutable: boolean;
}

/**
 * The file for a request path ('/' is index.html), or undefined when there is
 * none (or the path tries to leave the folder).
 */
export async function staticFile(path: string, root = WEB_DIST): Promise<StaticFile | undefined> {
  const rel =
    path === '/' || path === '' ? 'index.html' : decodeURIComponent(path).replace(/^\/+/, '');
  const full = normalize(join(root, rel));
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const type = TYPES[extname(full)];
  if (!type) return undefined;
  try {
    return { body: await readFile(full), type, immutable: rel.startsWith('assets/') };
  } catch {
    return undefined;
  }
}
