/**
 * Runs a benchmark program as one `entente run` process per party, over a
 * fresh federation on 127.0.0.1 (new keys, free ports), and returns each
 * party's JSON result line (`ID: {...}`). Shared by the network and 2PC benchmarks.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partyNodeFlags, writeLocalFederation } from '../src/cli/launch.js';

export interface FederatedBench {
  /** Federation name, also the temp-dir prefix. */
  name: string;
  suite: string;
  transport: 'tls' | 'ws';
  parties: number;
  /** The program module, e.g. 'bench/net-program.ts'. */
  program: string;
  /** Extra environment for the party processes (the program's options). */
  env: Record<string, string>;
  /** Federation timeouts beyond the default { roundMs: 600000 } (e.g. idleMs for long synchronous steps). */
  timeouts?: Record<string, number>;
  /** Party ids; default p1..pN. */
  ids?: readonly string[];
  /** Extra arguments of every party's `entente run` (e.g. ['--delay-ms', '50']). */
  args?: readonly string[];
  /** Leave out the parties' routine linking lines on stderr (each run's would bury the figures). */
  quietLinks?: boolean;
}

/** A party's stderr lines of a normal start (the study command leaves them out too). */
const ROUTINE = /^entente\[[^\]]+\]: (connected|accepted|federation|linked to)/;

export async function runFederated<R>(b: FederatedBench): Promise<R[]> {
  const dir = await mkdtemp(join(tmpdir(), `entente-${b.name}-`));
  try {
    const ids = b.ids ?? Array.from({ length: b.parties }, (_, i) => `p${i + 1}`);
    const fed = await writeLocalFederation(dir, {
      ids,
      suite: b.suite,
      name: b.name,
      transport: b.transport,
      timeouts: { roundMs: 600_000, ...b.timeouts },
    });
    const outs = await Promise.all(
      ids.map(
        (id) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              [
                // Party processes as `entente local` starts them (see partyNodeFlags).
                ...partyNodeFlags([]),
                ...nodeArgs(id),
                'bin/entente.js',
                'run',
                b.program,
                '--federation',
                fed,
                '--party',
                id,
                ...(b.args ?? []),
              ],
              {
                stdio: ['ignore', 'pipe', b.quietLinks ? 'pipe' : 'inherit'],
                env: { ...process.env, ...b.env },
              },
            );
            if (b.quietLinks) {
              let partial = '';
              child.stderr!.setEncoding('utf8').on('data', (d: string) => {
                const lines = (partial + d).split('\n');
                partial = lines.pop()!;
                for (const l of lines) if (!ROUTINE.test(l)) process.stderr.write(`${l}\n`);
              });
              child.stderr!.on('end', () => {
                if (partial && !ROUTINE.test(partial)) process.stderr.write(`${partial}\n`);
              });
            }
            let out = '';
            child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
            child.on('close', (code) =>
              code === 0 ? resolve(out) : reject(new Error(`party ${id} exited with ${code}`)),
            );
          }),
      ),
    );
    return outs.map((o, i) => {
      const m = new RegExp(`^${ids[i]}: (.*)$`, 'm').exec(o);
      if (!m) throw new Error(`party ${ids[i]}: no result in its output`);
      return JSON.parse(m[1]!) as R;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * ENTENTE_BENCH_NODE_ARGS adds node flags to every party process, with
 * `{party}` replaced by the party's id, for finding where a federated
 * benchmark spends its time (node refuses --cpu-prof in NODE_OPTIONS), e.g.
 * ENTENTE_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof/{party}'
 * (one profile per thread; the largest is the party's main thread).
 */
function nodeArgs(id: string): string[] {
  const args = process.env.ENTENTE_BENCH_NODE_ARGS;
  return args
    ? args
        .split(/\s+/)
        .filter(Boolean)
        .map((a) => a.replaceAll('{party}', id))
    : [];
}
