/**
 * The node's command line as an operator and its users type it: `entente node
 * init|user add|peer add|info|start` for three nodes, each a real process, then
 * the client commands (dataset add, propose, proposal, approve, reject, runs
 * watch, results, audit verify, user disable) with their exit codes: 0 done,
 * 1 failed, 2 refused or mistaken.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatients, HOSPITALS, patientsCsv } from '../../src/apps/hospitals.js';
import { pinnedRequest } from '../../src/node/pinned-https.js';
import { SCHEMA, studyText } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/entente.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function entente(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: timeoutMs }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await entente(args);
  if (r.code !== 0) throw new Error(`entente ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

describe('the node command line (three node processes)', () => {
  let root: string;
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  const owner: string[] = [];
  let analyst: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'entente-node-cli-'));
    const { freePorts } = await import('../../src/adapters/node/net/ports.js');
    const ports = await freePorts(6);
    const infos: {
      id: string;
      api: string;
      mpc: { host: string; port: number };
      fingerprint: string;
    }[] = [];
    for (const [i, h] of HOSPITALS.entries()) {
      const dir = join(root, h.id);
      dirs.push(dir);
      const fp = (
        await ok([
          'node',
          'init',
          '--dir',
          dir,
          '--id',
          h.id,
          '--api-port',
          String(ports[2 * i]),
          '--mpc-port',
          String(ports[2 * i + 1]),
        ])
      ).trim();
      infos.push(JSON.parse(await ok(['node', 'info', '--dir', dir])) as (typeof infos)[number]);
      expect(infos[i]!.fingerprint).toBe(fp);
    }
    for (const [i, dir] of dirs.entries())
      for (const peer of infos.filter((_, j) => j !== i))
        await ok([
          'node',
          'peer',
          'add',
          '--dir',
          dir,
          '--id',
          peer.id,
          '--api',
          peer.api,
          '--mpc',
          `${peer.mpc.host}:${peer.mpc.port}`,
          '--fingerprint',
          peer.fingerprint,
        ]);
    for (const [i, dir] of dirs.entries()) {
      const f = join(root, `owner-${i}.json`);
      await ok([
        'node',
        'user',
        'add',
        '--dir',
        dir,
        '--name',
        'owner',
        '--role',
        'owner',
        '--profile-out',
        f,
      ]);
      owner.push(f);
    }
    analyst = join(root, 'analyst.json');
    await ok([
      'node',
      'user',
      'add',
      '--dir',
      dirs[0]!,
      '--name',
      'ana',
      '--role',
      'analyst',
      '--profile-out',
      analyst,
    ]);
    for (const dir of dirs) {
      const p = spawn(process.execPath, [BIN, 'node', 'start', '--dir', dir], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      p.stderr!.resume();
      procs.push(p);
    }
    // Up when each API answers (bounded).
    for (const info of infos) {
      const until = Date.now() + 60_000;
      for (;;) {
        const r = await pinnedRequest({
          url: `${info.api}/v1/health`,
          fingerprint: info.fingerprint,
          method: 'GET',
          timeoutMs: 2_000,
        }).catch(() => undefined);
        if (r?.status === 200) break;
        if (Date.now() > until) throw new Error(`${info.id} did not come up`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await writeFile(join(root, 'schema.yaml'), JSON.stringify(SCHEMA));
    for (const [i, h] of HOSPITALS.entries()) {
      const file = join(root, `${h.id}.csv`);
      await writeFile(file, patientsCsv(generatePatients(i, 150, 3)));
      const out = await ok([
        'dataset',
        'add',
        'patients',
        '--file',
        file,
        '--schema',
        join(root, 'schema.yaml'),
        '--epsilon',
        '2',
        '--delta',
        '1e-5',
        '--profile',
        owner[i]!,
      ]);
      expect(out).toMatch(/registered 'patients': 150 rows/);
    }
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once('close', r)))),
    );
    await rm(root, { recursive: true, force: true });
  });

  it('refuses mistakes with exit 2 and a message naming what is wrong', async () => {
    const noEps = await entente([
      'dataset',
      'add',
      'x',
      '--file',
      '/nonexistent.csv',
      '--schema',
      join(root, 'schema.yaml'),
      '--profile',
      owner[0]!,
    ]);
    expect(noEps.code).toBe(2);
    expect(noEps.stderr).toMatch(/--epsilon is required/);
    const role = await entente(['propose', join(root, 'schema.yaml'), '--profile', owner[0]!]);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/needs the role analyst/);
    const self = await entente([
      'node',
      'peer',
      'add',
      '--dir',
      dirs[0]!,
      '--id',
      'hospital-a',
      '--api',
      'https://127.0.0.1:1',
      '--mpc',
      '127.0.0.1:2',
      '--fingerprint',
      'AB'.repeat(32),
    ]);
    expect(self.code).toBe(2);
    const running = await entente([
      'node',
      'user',
      'add',
      '--dir',
      dirs[0]!,
      '--name',
      'x',
      '--role',
      'auditor',
    ]);
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(/is running/);
    const approveNoTty = await entente(['approve', 'p-000000000000', '--profile', owner[0]!]);
    expect(approveNoTty.code).toBe(2);
  });

  it('proposes, approves, watches, shows the results and verifies the logs', async () => {
    const study = join(root, 'study.yaml');
    await writeFile(study, studyText([{ id: 'patients', type: 'count', by: 'arm' }]));
    const id = (await ok(['propose', study, '--profile', analyst])).trim();
    expect(id).toMatch(/^p-[0-9a-f]{12}$/);
    const shown = await ok(['proposal', id, '--profile', owner[1]!]);
    expect(shown).toMatch(/count of|count/);
    expect(shown).toMatch(/pending/);
    for (const o of owner) await ok(['approve', id, '--yes', '--profile', o]);
    const watch = await entente(['runs', 'watch', '--profile', owner[0]!], 120_000);
    expect(watch.code).toBe(0);
    const runs = await ok(['runs', '--profile', analyst]);
    const runId = /^(r-[0-9a-f]+)\s+released/m.exec(runs)?.[1];
    expect(runId).toBeDefined();
    const md = await ok(['results', runId!, '--format', 'md', '--profile', analyst]);
    expect(md).toMatch(/\|/);
    const json = JSON.parse(
      await ok(['results', runId!, '--format', 'json', '--profile', analyst]),
    ) as { outcome: { analyses: unknown[] } };
    expect(json.outcome.analyses).toHaveLength(1);
    for (const o of owner)
      expect(await ok(['audit', 'verify', '--profile', o])).toMatch(/chain and signatures verify/);
    const log = await ok(['audit', '--profile', owner[2]!]);
    expect(log).toMatch(/run\.released/);
  }, 180_000);

  it('a refusal needs a reason; a disabled user is locked out', async () => {
    const study = join(root, 'study2.yaml');
    await writeFile(study, studyText([{ id: 'patients', type: 'count', by: 'sex' }]));
    const id = (await ok(['propose', study, '--profile', analyst])).trim();
    expect((await entente(['reject', id, '--profile', owner[0]!])).code).toBe(2);
    await ok(['reject', id, '--reason', 'not now', '--profile', owner[0]!]);
    expect(await ok(['proposals', '--profile', analyst])).toMatch(new RegExp(`${id}\\s+refused`));
    const token = (
      await ok(['user', 'add', 'temp', '--role', 'auditor', '--profile', owner[0]!])
    ).trim();
    const profile = JSON.parse(await readFile(owner[0]!, 'utf8')) as {
      node: string;
      fingerprint: string;
    };
    const temp = join(root, 'temp.json');
    await writeFile(temp, JSON.stringify({ ...profile, token }));
    await ok(['audit', '--profile', temp]);
    await ok(['user', 'disable', 'temp', '--profile', owner[0]!]);
    const denied = await entente(['audit', '--profile', temp]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/401/);
  }, 60_000);

  it('an unreachable node exits 1', async () => {
    const profile = JSON.parse(await readFile(owner[0]!, 'utf8')) as {
      fingerprint: string;
      token: string;
    };
    const gone = join(root, 'gone.json');
    await writeFile(gone, JSON.stringify({ ...profile, node: 'https://127.0.0.1:1' }));
    const r = await entente(['datasets', '--profile', gone]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });
});
