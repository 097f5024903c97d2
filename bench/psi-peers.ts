/**
 * @openmined/psi.js beside Entente's PSI in `npm run bench -- psi`.
 *
 * psi.js 2.0.6 cannot be a devDependency: its dependency protoc-gen-js
 * downloads protoc from github.com in a postinstall script, which fails
 * offline and in CI. psi.js does not need those tools at run time (its
 * messages are compiled in), so the benchmark installs it on demand, with
 * install scripts disabled, into bench/.peers (ignored by git):
 *
 *   npm install --ignore-scripts --no-save --no-audit --no-fund \
 *     --prefix bench/.peers @openmined/psi.js@2.0.6
 *
 * Both psi.js parties run in this process, one after the other (client
 * request, server setup and response, client intersection), so its time is
 * the sum of both parties' computation with no network; its bytes are the
 * serialized messages.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export const PSI_JS_VERSION = '2.0.6';
const PEERS = resolve('bench/.peers');
const MODULE = join(PEERS, 'node_modules/@openmined/psi.js');

export interface PsiJsCase {
  n: number;
  seconds: number;
  bytes: number;
  shared: number;
}

interface Message {
  serializeBinary(): Uint8Array;
}
interface PsiJs {
  server: {
    createWithNewKey(reveal: boolean): {
      createSetupMessage(fpr: number, nClient: number, inputs: string[]): Message;
      processRequest(req: Message): Message;
      delete(): void;
    };
  };
  client: {
    createWithNewKey(reveal: boolean): {
      createRequest(inputs: string[]): Message;
      getIntersection(setup: Message, resp: Message): number[];
      delete(): void;
    };
  };
}

/** Loads psi.js, installing it first if absent; undefined (with the reason printed) if that fails. */
export async function loadPsiJs(): Promise<PsiJs | undefined> {
  if (!existsSync(MODULE)) {
    console.log(
      `installing @openmined/psi.js@${PSI_JS_VERSION} into bench/.peers (scripts disabled; for the comparison only)`,
    );
    const r = spawnSync(
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--prefix',
        PEERS,
        `@openmined/psi.js@${PSI_JS_VERSION}`,
      ],
      { stdio: 'inherit', timeout: 300_000 },
    );
    if (r.status !== 0 || !existsSync(MODULE)) {
      console.log(
        'psi.js could not be installed (offline?): its column is skipped. Install it by hand with the command in bench/psi-peers.ts.',
      );
      return undefined;
    }
  }
  const require = createRequire(join(PEERS, 'package.json'));
  const factory = require('@openmined/psi.js') as () => Promise<PsiJs>;
  return factory();
}

/**
 * psi.js's ECDH PSI (intersection revealed to the client, Golomb-compressed
 * server setup, false-positive rate 1e-9) on n strings per side, half shared.
 */
export function runPsiJs(psi: PsiJs, n: number): PsiJsCase {
  const half = n >>> 1;
  const serverSet = Array.from({ length: n }, (_, i) => `element-${i}`);
  const clientSet = Array.from({ length: n }, (_, i) => `element-${i + n - half}`);
  const t = performance.now();
  const server = psi.server.createWithNewKey(true);
  const client = psi.client.createWithNewKey(true);
  const request = client.createRequest(clientSet);
  const setup = server.createSetupMessage(1e-9, n, serverSet);
  const response = server.processRequest(request);
  const shared = client.getIntersection(setup, response).length;
  const seconds = (performance.now() - t) / 1000;
  const bytes =
    request.serializeBinary().length +
    setup.serializeBinary().length +
    response.serializeBinary().length;
  server.delete();
  client.delete();
  return { n, seconds, bytes, shared };
}
