/**
 * The container build file and the Kubernetes manifests (deploy/kubernetes,
 * docs/DEPLOY.md): every manifest parses, every file a kustomization names is
 * there, and every `entente` command the containers run exists with the flags it
 * is given. The node's start-up sequence (the init containers, then the node, then
 * its readiness probe) is then run for real, with the overlay's values, in a
 * temporary folder standing in for the volume and the mounted Secret and ConfigMap.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePorts } from '../src/adapters/node/net/ports.js';
import { checkFlags, knownFlags, parseFlags } from '../src/cli/flags.js';
import { UsageError } from '../src/cli/exit.js';
import { main } from '../src/cli/main.js';
import { loadNodeIdentity } from '../src/node/config.js';
import { pinnedRequest } from '../src/node/pinned-https.js';
import { Cli } from './net/helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy', 'kubernetes');

interface Container {
  readonly name: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly volumeMounts?: { name: string; mountPath: string }[];
}
type Doc = Record<string, unknown>;

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const manifests = new Map<string, Doc[]>();

beforeAll(async () => {
  for (const file of await yamlFiles(K8S)) {
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    for (const d of docs)
      expect(
        d.errors.map((e) => e.message),
        relative(ROOT, file),
      ).toEqual([]);
    manifests.set(
      file,
      docs.map((d) => d.toJS() as Doc).filter((d) => d !== null),
    );
  }
});

function kustomizations(): [string, Doc][] {
  return [...manifests]
    .filter(([f]) => f.endsWith('kustomization.yaml'))
    .map(([f, d]) => [f, d[0]!]);
}

function containers(): Container[] {
  const out: Container[] = [];
  for (const docs of manifests.values())
    for (const d of docs) {
      const spec = (d.spec as Doc | undefined)?.template as Doc | undefined;
      const pod = spec?.spec as
        { initContainers?: Container[]; containers?: Container[] } | undefined;
      if (pod) out.push(...(pod.initContainers ?? []), ...(pod.containers ?? []));
    }
  return out;
}

/**
 * A command run in this process, as bin/entente.js runs it (a UsageError is exit 2) (the init steps are quick;
 * the node itself runs as a process below): its exit status, and the message of the
 * error that ended it.
 */
async function entente(args: readonly string[]): Promise<{ code: number; message: string }> {
  const { log, error } = console;
  console.log = console.error = () => undefined;
  try {
    return { code: await main(args), message: '' };
  } catch (e) {
    return { code: e instanceof UsageError ? 2 : 1, message: (e as Error).message };
  } finally {
    console.log = log;
    console.error = error;
  }
}

function literals(k: Doc, name: string): Map<string, string> {
  const gen = (k.configMapGenerator as { name: string; literals?: string[] }[]).find(
    (g) => g.name === name,
  )!;
  return new Map(gen.literals!.map((l) => l.split('=', 2) as [string, string]));
}

describe('deploy/kubernetes', () => {
  it('every manifest is a Kubernetes object or a kustomization, and every file named is there', () => {
    expect(manifests.size).toBeGreaterThanOrEqual(4);
    for (const [file, docs] of manifests) {
      for (const d of docs) {
        expect(typeof d.apiVersion, relative(ROOT, file)).toBe('string');
        expect(typeof d.kind, relative(ROOT, file)).toBe('string');
        if (d.kind !== 'Kustomization')
          expect(typeof (d.metadata as Doc).name, relative(ROOT, file)).toBe('string');
      }
    }
    for (const [file, k] of kustomizations()) {
      const named = [
        ...((k.resources as string[] | undefined) ?? []),
        ...((k.configMapGenerator as { files?: string[] }[] | undefined) ?? []).flatMap(
          (g) => g.files ?? [],
        ),
      ];
      expect(named.length, relative(ROOT, file)).toBeGreaterThan(0);
      for (const r of named)
        expect(existsSync(join(dirname(file), r)), `${relative(ROOT, file)} names ${r}`).toBe(true);
    }
  });

  it('every container runs an entente command that exists, with flags it takes', () => {
    const cs = containers();
    expect(cs.map((c) => c.name).sort()).toEqual(['init', 'node', 'peers']);
    for (const c of cs) {
      expect(c.command, c.name).toEqual(['entente']);
      const args = c.args!.map(String);
      const f = parseFlags(args.slice(1));
      const [cmd] = args;
      expect(
        knownFlags(cmd!, f.positional, f.named),
        `${c.name}: entente ${args.join(' ')}`,
      ).toBeDefined();
      expect(() => checkFlags(cmd!, f.positional, f.named), c.name).not.toThrow();
      expect(f.valueless, c.name).toBeUndefined();
    }
  });

  it('the container build file runs the entente command of the package', async () => {
    const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^ENTRYPOINT \["entente"\]$/m);
    expect(text).toMatch(/npm pack/);
    const ignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');
    for (const p of ['node_modules', 'dist', '.git']) expect(ignore.split('\n')).toContain(p);
  });

  it('kubectl kustomize renders the base and the overlay (when kubectl is installed)', async (ctx) => {
    const kubectl = await new Promise<boolean>((r) =>
      execFile('kubectl', ['version', '--client'], { timeout: 10_000 }, (e) => r(!e)),
    );
    if (!kubectl) return ctx.skip();
    for (const dir of ['base', 'overlays/hospital-a']) {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'kubectl',
          ['kustomize', join(K8S, dir)],
          { timeout: 60_000, maxBuffer: 8 << 20 },
          (e, stdout, stderr) => (e ? reject(new Error(`${dir}: ${stderr}`)) : resolve(stdout)),
        ),
      );
      const kinds = parseAllDocuments(out).map((d) => (d.toJS() as Doc).kind);
      expect(kinds.sort()).toEqual(['ConfigMap', 'ConfigMap', 'Service', 'Service', 'StatefulSet']);
    }
  });
});

describe('the node starts as the manifests start it', () => {
  let root: string;
  let node: Cli | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'entente-deploy-'));
  });
  afterAll(async () => {
    node?.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('init, peers, a second start, then the node answers its readiness probe', async () => {
    const overlay = join(K8S, 'overlays', 'hospital-a');
    const k = kustomizations().find(([f]) => f === join(overlay, 'kustomization.yaml'))![1];
    const node1 = literals(k, 'entente-node');
    const id = node1.get('id')!;
    // The mounts, as the StatefulSet names them, become folders under `root`.
    const mounts: Record<string, string> = {
      '/data': join(root, 'data'),
      '/etc/entente/identity': join(root, 'identity'),
      '/etc/entente/federation': overlay,
    };
    const env: Record<string, string> = {
      ENTENTE_NODE_ID: id,
      ENTENTE_NODE_HOST: node1.get('host')!,
    };
    const resolveArg = (a: string) => {
      const withEnv = a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => env[v]!);
      const m = Object.keys(mounts).find((p) => withEnv === p || withEnv.startsWith(`${p}/`));
      return m ? mounts[m] + withEnv.slice(m.length) : withEnv;
    };
    // The Secret holds the identity the organisation made with `entente keygen`.
    const keygen = await entente(['keygen', '--out', mounts['/etc/entente/identity']!, '--id', id]);
    expect(keygen.code, keygen.message).toBe(0);

    const byName = new Map(containers().map((c) => [c.name, c]));
    const runInit = async () => {
      for (const name of ['init', 'peers']) {
        const r = await entente(byName.get(name)!.args!.map(String).map(resolveArg));
        expect(r.code, `${name}: ${r.message}`).toBe(0);
      }
    };
    await runInit();
    const file = join(mounts['/data']!, 'node', 'node.json');
    const first = JSON.parse(await readFile(file, 'utf8')) as {
      id: string;
      api: { host: string; port: number };
      listen: string;
      peers: { id: string }[];
    };
    expect(first.id).toBe(id);
    expect(first.api.host).toBe(env.ENTENTE_NODE_HOST);
    expect(first.listen).toBe('0.0.0.0');
    expect(first.peers.map((p) => p.id).sort()).toEqual(['hospital-b', 'hospital-c']);
    // A restarted pod runs the init containers again: the node is kept as it was.
    await runInit();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(first);

    // A volume holding another node is refused, not reused or overwritten.
    const initArgs = byName.get('init')!.args!.map(String).map(resolveArg);
    const wrong = await entente(
      initArgs.map((a, i) => (initArgs[i - 1] === '--id' ? 'hospital-z' : a)),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.message).toMatch(/holds node 'hospital-a', not 'hospital-z'; nothing was changed/);
    // A secret whose key is not the certificate's is refused, naming the file.
    const other = await entente(['keygen', '--out', join(root, 'other'), '--id', id]);
    expect(other.code, other.message).toBe(0);
    await writeFile(
      join(mounts['/etc/entente/identity']!, `${id}.key`),
      await readFile(join(root, 'other', `${id}.key`)),
    );
    const mixed = await entente(
      initArgs
        .filter((a) => a !== '--if-absent')
        .map((a, i, all) => (all[i - 1] === '--dir' ? join(root, 'fresh') : a)),
    );
    expect(mixed.code).toBe(2);
    expect(mixed.message).toMatch(/hospital-a\.key is not the key of certificate/);

    // Tests listen on 127.0.0.1 only: the bind address and port are the one change.
    const [apiPort] = await freePorts(1);
    await writeFile(
      file,
      JSON.stringify({ ...first, listen: '127.0.0.1', api: { ...first.api, port: apiPort } }),
    );
    const fingerprint = (await loadNodeIdentity(join(mounts['/data']!, 'node'), id)).fingerprint;
    node = new Cli(byName.get('node')!.args!.map(String).map(resolveArg));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await pinnedRequest({
        url: `https://127.0.0.1:${apiPort}/v1/health`,
        fingerprint,
        method: 'GET',
        timeoutMs: 2_000,
      }).catch(() => undefined);
      if (r?.status === 200) break;
      if (node.child.exitCode !== null) throw new Error(`the node exited: ${node.stderr}`);
      if (Date.now() > deadline) throw new Error(`the node did not answer: ${node.stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    node.kill('SIGTERM');
    const end = await node.exit(20_000);
    expect(end.signal ?? end.code).not.toBe('SIGKILL');
  }, 150_000);
});
