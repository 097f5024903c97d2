/**
 * Every party of a computation as its own process on this machine: fresh
 * keys in a temporary folder, a federation file on free 127.0.0.1 ports, and
 * one process of this very CLI per party (`entente local` runs `entente run`,
 * `entente study` runs `entente study --federation`).
 *
 * Stopping is bounded: once one party fails, the others get STOP_GRACE_MS to
 * end on their own (a failing party tells its peers why, so they usually stop
 * at once and say so), then SIGTERM, then SIGKILL after KILL_AFTER_MS; the
 * whole run is stopped after `timeoutMs`. SIGINT or SIGTERM to this process
 * stops every party. The keys are test keys: the folder is removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, saveIdentity, type Identity } from '../adapters/node/net/identity.js';
import { freePorts } from '../adapters/node/net/ports.js';
import { makeKeyFolder, type KEY_FOLDER_PREFIXES } from './tempdir.js';

export { freePorts };

/**
 * Node flags for party processes that share this machine. V8 collects
 * garbage on helper threads by default; with several parties on few cores
 * those threads compete with the parties themselves, and at million-element
 * operations (a full collection about once per operation, triggered by the
 * volume of large buffers) that costs more than it saves: 1M rep3
 * multiplications, three processes on two cores, took 60 ms with concurrent
 * collection and 47 ms with --single-threaded-gc (CPU per party 33 -> 25 ms).
 * The flag can only be given on the command line (setting it at run time
 * aborts V8), so launchers pass it; it is not added twice.
 */
export function partyNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.includes('--single-threaded-gc')
    ? [...execArgv]
    : [...execArgv, '--single-threaded-gc'];
}

/**
 * The script a party process runs: the `entente` command of this package, not
 * process.argv[1] (the caller's own script when `main` is called from a
 * library). Running compiled (dist/cli), a party whose arguments name no
 * TypeScript file starts dist/cli/bin.js itself: plain Node, no loader, no
 * check of the build (src/cli/bin.ts is what bin/entente.js would import).
 * Otherwise bin/entente.js (at the same depth from src/cli and dist/cli),
 * which takes a loader where one is needed.
 */
export function partyEntry(args: readonly string[], here: string = import.meta.url): string {
  const compiled = here.endsWith('.js');
  return fileURLToPath(
    compiled && !args.some((a) => /\.[cm]?ts$/.test(a))
      ? new URL('./bin.js', here)
      : new URL('../../bin/entente.js', here),
  );
}

/** How long the other parties may end on their own after one fails. */
const STOP_GRACE_MS = 2_000;
/** How long a party may take to stop on SIGTERM before it is killed. */
const KILL_AFTER_MS = 3_000;

/** One party process, as the arguments of its command line are built. */
export interface LaunchedParty {
  id: string;
  index: number;
  /** The federation file every party shares. */
  federation: string;
  /** The temporary folder (keys, federation), for files the parties leave for the caller. */
  dir: string;
}

export interface LaunchOptions {
  /** Party ids in order; each gets its own key pair and port. */
  ids: readonly string[];
  /** The one suite every party takes (federation `suite` and each party's `suites`). */
  suite: string;
  /** Federation `name`; the session id is `${sessionPrefix}-<random UUID>`. */
  name: string;
  sessionPrefix: string;
  /** Federation `transport`; left out (TLS) when undefined. */
  transport?: 'tls' | 'ws';
  /** Federation `timeouts`; left out (the defaults) when undefined. */
  timeouts?: Readonly<Record<string, number>>;
  /** Where the parties' identities come from; by default fresh ones, made in parallel. */
  identities?: IdentitySource;
  /** Prefix of the temporary folder's name under the OS temp folder (src/cli/tempdir.ts). */
  tmpPrefix: (typeof KEY_FOLDER_PREFIXES)[number];
  /** The CLI arguments of one party, e.g. ['run', PROGRAM, '--federation', f, '--party', id]. */
  args(p: LaunchedParty): string[];
  /** Extra environment for every party process. */
  env?: Readonly<Record<string, string>>;
  /** Called once the keys and the federation file exist, before any party starts. */
  onReady?(dir: string): void;
  /**
   * 'collect': each party's stdout is returned (and a failure to start is
   * appended to it); 'ignore': stdout is discarded (a failure to start goes
   * to stderr).
   */
  stdout: 'collect' | 'ignore';
  /** Each complete stderr line of a party; by default `[id] line` on this process's stderr. */
  stderrLine?(line: string, id: string, index: number): void;
  /** The whole run is stopped after this long. */
  timeoutMs: number;
}

export interface LaunchResult {
  /** The temporary folder; it still exists while `finish` runs. */
  dir: string;
  /** Every party's stdout ('' when not collected), in `ids` order. */
  outputs: string[];
  /** The run hit `timeoutMs` and every party was stopped. */
  timedOut: boolean;
  /** Parties that failed on their own, with how each ended and its last stderr line, in the order they ended. */
  failed: PartyFailure[];
  /** Parties this process stopped (after another failed, on a signal, or at the timeout). */
  stopped: string[];
  /** The signal (SIGINT, SIGTERM) that stopped this launcher, if one did. */
  signal?: NodeJS.Signals;
}

/** A party process that failed on its own. */
export interface PartyFailure {
  id: string;
  /** `exit N` or `signal S`. */
  status: string;
  /** The exit code; null when a signal killed it. */
  code: number | null;
  /** Its last line on stderr, which says why it stopped; '' if it wrote none. */
  line: string;
}

/** The party a failure line blames: the first `(peer X)` or `(party X)` naming another party. */
/** The failed peer that `f` ended because of, if its line says so. */
function followed(f: PartyFailure, ids: ReadonlySet<string>): string | undefined {
  for (const m of f.line.matchAll(
    /peer-closed \((?:peer|party) ([^\s()]+)\)|party ([^\s()]+) (?:aborted|was stopped)/g,
  )) {
    const id = m[1] ?? m[2]!;
    if (id !== f.id && ids.has(id)) return id;
  }
  return undefined;
}

function blamed(f: PartyFailure, ids: ReadonlySet<string>): string | undefined {
  for (const m of f.line.matchAll(/\((?:peer|party) ([^\s()]+)\)/g))
    if (m[1] !== f.id && ids.has(m[1]!)) return m[1];
  return undefined;
}

/**
 * Which failure the others follow from. A party whose peer failed reports
 * that peer (`peer-closed (peer p2): party p2 aborted: ...`), and the party
 * that failed first often ends last (it waits for its peers to read why), so
 * the order of exits does not tell. The cause is among the failures that did
 * not end because of another (a party that detected a violation names the
 * offender, but failed on its own account); of those, the one the others
 * name most (two parties of different sessions name each other), then the
 * first in exit order. Returns it and the failures that follow from it,
 * directly or not.
 */
export function firstFailure(
  failed: readonly PartyFailure[],
): { first: PartyFailure; following: PartyFailure[]; others: PartyFailure[] } | undefined {
  if (failed.length === 0) return undefined;
  const ids = new Set(failed.map((f) => f.id));
  const blames = new Map(failed.map((f) => [f.id, blamed(f, ids)]));
  // A party that ended because a peer did says so (`peer-closed (peer p3)`, `party p3 aborted`);
  // one that detected a violation names the offender but failed on its own account.
  const own = failed.filter((f) => followed(f, ids) === undefined);
  const candidates = own.length > 0 ? own : failed;
  const count = (id: string) => failed.filter((f) => blames.get(f.id) === id).length;
  const first = candidates.reduce((best, f) => (count(f.id) > count(best.id) ? f : best));
  const follows = (f: PartyFailure): boolean => {
    const seen = new Set<string>();
    for (let id = blames.get(f.id); id !== undefined && !seen.has(id); id = blames.get(id)) {
      if (id === first.id) return true;
      seen.add(id);
    }
    return false;
  };
  const rest = failed.filter((f) => f !== first);
  return {
    first,
    following: rest.filter(follows),
    others: rest.filter((f) => !follows(f)),
  };
}

/**
 * `p2 (exit 1): Error: p2 gives up; because of it: p1 (exit 1), p3 (exit 1)`:
 * the failure the others follow from, with its reason, first.
 */
export function describeFailures(failed: readonly PartyFailure[]): string {
  const r = firstFailure(failed);
  if (!r) return '';
  const name = (f: PartyFailure) => `${f.id} (${f.status})`;
  const why = r.first.line.replace(/^entente: /, '').replace(`party ${r.first.id}: `, '');
  return (
    `${name(r.first)}${why ? `: ${why}` : ''}` +
    (r.following.length > 0 ? `; because of it: ${r.following.map(name).join(', ')}` : '') +
    (r.others.length > 0 ? `; also failed: ${r.others.map(name).join(', ')}` : '')
  );
}

/**
 * Starts one process per party (see the module comment), waits for all of
 * them to end or be stopped, and returns what `finish` makes of the result;
 * `finish` runs before the temporary folder is removed, so it may read files
 * the parties wrote there.
 *
 * @throws whatever creating the keys, the folder or the federation file
 *   throws, and whatever `finish` throws; every party is stopped and the
 *   folder removed in every case.
 */
/** The identities (key and certificate) of parties, in the order of `ids`. */
export type IdentitySource = (ids: readonly string[]) => Promise<Identity[]>;

/** New keys for every party, made in parallel (most of the time of one is loading the X.509 code, once). */
export const freshIdentities: IdentitySource = (ids) => Promise.all(ids.map(generateIdentity));

/**
 * Keys for every party in `dir` (fresh ones unless `f.identities` says
 * otherwise) and a federation of them on free ports of 127.0.0.1
 * (`dir/federation.json`, whose path this returns). Shared by the launcher and
 * the networked benchmarks.
 */
export async function writeLocalFederation(
  dir: string,
  f: {
    ids: readonly string[];
    suite: string;
    name: string;
    /** Federation `session`; left out (the file's default) when undefined. */
    session?: string;
    transport?: 'tls' | 'ws';
    timeouts?: Readonly<Record<string, number>>;
    identities?: IdentitySource;
  },
): Promise<string> {
  const [ports, identities] = await Promise.all([
    freePorts(f.ids.length),
    (f.identities ?? freshIdentities)(f.ids),
  ]);
  const parties = [];
  for (const [i, id] of f.ids.entries()) {
    const files = await saveIdentity(dir, id, identities[i]!);
    parties.push({
      id,
      host: '127.0.0.1',
      port: ports[i]!,
      fingerprint: files.fingerprint,
      suites: [f.suite],
    });
  }
  const federation = join(dir, 'federation.json');
  await writeFile(
    federation,
    JSON.stringify(
      {
        name: f.name,
        ...(f.session === undefined ? {} : { session: f.session }),
        suite: f.suite,
        ...(f.transport === undefined ? {} : { transport: f.transport }),
        ...(f.timeouts === undefined ? {} : { timeouts: f.timeouts }),
        parties,
      },
      null,
      2,
    ) + '\n',
  );
  return federation;
}

export async function launchParties<T>(
  o: LaunchOptions,
  finish: (r: LaunchResult) => Promise<T> | T,
): Promise<T> {
  const folder = await makeKeyFolder(o.tmpPrefix);
  const dir = folder.dir;
  const children: ChildProcess[] = [];
  /** Children this process signalled: their signal deaths are 'stopped', not failures. */
  const signalled = new Set<ChildProcess>();
  const stopAll = () => {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      signalled.add(c);
      c.kill('SIGTERM');
      setTimeout(() => {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, KILL_AFTER_MS).unref();
    }
  };
  let signal: NodeJS.Signals | undefined;
  // Held for the whole run (not once): a second Ctrl-C must not kill this process
  // before it has stopped the parties and removed their keys.
  const onSignal = (sig: NodeJS.Signals) => {
    signal ??= sig;
    stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const federation = await writeLocalFederation(dir, {
      ...o,
      session: `${o.sessionPrefix}-${randomUUID()}`,
    });
    o.onReady?.(dir);

    const outputs: string[] = o.ids.map(() => '');
    const lastLines: string[] = o.ids.map(() => '');
    const stderrLine =
      o.stderrLine ?? ((line: string, id: string) => process.stderr.write(`[${id}] ${line}\n`));
    const exits = o.ids.map(
      (id, index) =>
        new Promise<{ id: string; code: number | null; signal: string | null }>((done) => {
          const args = o.args({ id, index, federation, dir });
          const child = spawn(process.execPath, [...partyNodeFlags(), partyEntry(args), ...args], {
            // Each party dies with this process, even after kill -9: it exits when
            // its stdin, a pipe from here, closes (src/cli/bin.ts), as a node's parties do.
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { ...process.env, ...o.env, ENTENTE_EXIT_WITH_PARENT: '1' },
          });
          children.push(child);
          if (o.stdout === 'collect')
            child.stdout!.setEncoding('utf8').on('data', (d: string) => (outputs[index] += d));
          else child.stdout!.resume();
          let partial = '';
          child.stderr!.setEncoding('utf8').on('data', (d: string) => {
            const lines = (partial + d).split('\n');
            partial = lines.pop()!;
            for (const l of lines) {
              if (l.trim() !== '') lastLines[index] = l;
              stderrLine(l, id, index);
            }
          });
          child.on('error', (e) => {
            if (o.stdout === 'collect') outputs[index] += `cannot start: ${e.message}\n`;
            else process.stderr.write(`[${id}] cannot start: ${e.message}\n`);
          });
          child.on('close', (code, signal) => {
            if (partial) {
              lastLines[index] = partial;
              process.stderr.write(`[${id}] ${partial}\n`);
            }
            done({ id, code, signal });
          });
        }),
    );
    const failed: PartyFailure[] = [];
    const stopped: string[] = [];
    let grace: ReturnType<typeof setTimeout> | undefined;
    exits.forEach((e, i) => {
      void e.then((r) => {
        if (r.code === 0 && !r.signal) return;
        // A party we signalled either dies of it or exits 128 + signal after telling its peers;
        // on Ctrl-C the terminal signals every party as well as this process.
        if (signalled.has(children[i]!) || signal !== undefined) stopped.push(r.id);
        else
          failed.push({
            id: r.id,
            status: r.signal ? `signal ${r.signal}` : `exit ${r.code}`,
            code: r.signal ? null : r.code,
            line: lastLines[i]!,
          });
        grace ??= setTimeout(stopAll, STOP_GRACE_MS);
      });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      Promise.all(exits).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), o.timeoutMs))),
    ]);
    clearTimeout(timer);
    clearTimeout(grace);
    if (timedOut) {
      stopAll();
      await Promise.all(exits);
    }
    return await finish({ dir, outputs, timedOut, failed, stopped, signal });
  } finally {
    stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await folder.remove();
  }
}
