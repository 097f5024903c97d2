/**
 * Crash safety with real processes. Three hospital nodes, each its own
 * `entente node start` process (each run's party a child process of its
 * node), run approved studies that spend epsilon, and hospital-c is lost
 * while its party computes:
 *
 * - its node process is killed (kill -9): its party must stop too, the others
 *   abort at once and say why; started again, it fails the run with a reason;
 * - node and party hang (SIGSTOP): the others abort within their round
 *   deadline; killed and started again over a partial outcome file, it fails
 *   the run and still starts;
 * - its node alone hangs while its party finishes, then is killed: started
 *   again, it releases what the others released and charges the same.
 *
 * Each time no budget is charged for what was not released, nothing is shown
 * that was not released everywhere, and every audit chain (and the heads the
 * nodes exchanged) verifies. On both storage backends. Deadlines are short
 * (node.json `timeouts`); the timings observed are printed at the end.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatients, HOSPITALS, patientsCsv } from '../../src/apps/hospitals.js';
import { NodeClient, type NodeProfile } from '../../src/node/client.js';
import { configPath } from '../../src/node/config.js';
import { addLocalUser, initLocalNodes } from '../../src/node/local.js';
import { pinnedRequest } from '../../src/node/pinned-https.js';
import { BACKENDS, type Backend } from './backends.js';
import { SCHEMA, studyText } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/entente.js', import.meta.url));

/**
 * Records per node and Newton iterations of a regression fitted on every
 * record: about 10 s of rounds on a 2-core machine, so that a kill made once
 * the regression has started lands mid-run.
 */
const ROWS = 10_000;
const ITERATIONS = 3;
/** Short bounded deadlines: links up within connectMs, each round within roundMs. */
const TIMEOUTS = { connectMs: 10_000, roundMs: 10_000, runMs: 120_000 };
/** What the survivors may take beyond their deadline to stop and record it. */
const SLACK_MS = 10_000;
const BUDGET = { epsilon: 2, delta: 1e-5 };
const EPSILON = 0.5;
/** The node that is killed (hospital-c); the study's coordinator is hospital-a. */
const VICTIM = 2;
const SURVIVORS = [0, 1];
const ids = HOSPITALS.map((h) => h.id);

const ANALYSES = [
  // Spends epsilon, so that a charge would show in the budget.
  { id: 'noisy', type: 'count', by: 'arm', dp: { epsilon: EPSILON } },
  // Too many cells for the per-cell fit (78 ages x 365 days): fitted on every record.
  {
    id: 'model',
    type: 'logistic-regression',
    outcome: 'recovered',
    predictors: ['age', 'survival_days'],
    iterations: ITERATIONS,
  },
];

interface RunView {
  id: string;
  proposal_id: string;
  state: 'queued' | 'running' | 'released' | 'failed';
  progress: string[];
  reason: string | null;
}
interface Budget {
  epsilon_spent: number;
  epsilon_reserved: number;
  delta_spent: number;
  delta_reserved: number;
}
interface LedgerRow {
  run_id: string;
  kind: string;
  epsilon: number;
}
interface Verdict {
  ok: boolean;
  entries: number;
  firstBad?: { seq: number; problem: string };
  peers: { peer: string; seq: number; ok: boolean; problem?: string }[];
}

/** Polls f every `every` ms until it returns a value (not undefined); throws after ms. */
async function until<T>(
  what: string,
  ms: number,
  f: () => Promise<T | undefined>,
  every = 100,
): Promise<T> {
  const end = Date.now() + ms;
  let last: Error | undefined;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e as Error;
    }
    if (Date.now() > end)
      throw new Error(`${what}: not within ${ms} ms${last ? ` (last: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Thrown inside an `until` poll to stop polling at once. */
class Fatal extends Error {}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether a process has ended: gone, or a zombie its new parent has not reaped yet. */
async function ended(pid: number): Promise<boolean> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'stat=', '-p', String(pid)]).catch(
    () => ({ stdout: '' }),
  );
  return stdout.trim() === '' || stdout.trim().startsWith('Z');
}

/** Processes whose command line contains `text` (ps: Linux and macOS). */
async function processesWith(text: string): Promise<{ pid: number; ppid: number; args: string }[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,ppid=,args='], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[3]!.includes(text))
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }))
    .filter((p) => p.pid !== process.pid);
}

/**
 * One `entente node start --dir DIR` process. It leads its own process group,
 * which its run's party process joins: killing the group is a crash of the
 * node's whole machine; killing the pid is a crash of the node process alone.
 */
class NodeProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<void>;

  constructor(readonly dir: string) {
    const env = { ...process.env };
    delete env.ENTENTE_DATABASE_URL; // the node's database is its configuration's
    this.child = spawn(process.execPath, [BIN, 'node', 'start', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      detached: true,
    });
    const keep = (d: Buffer) => {
      this.output.push(...d.toString('utf8').split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - 200));
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((done) => this.child.once('exit', () => done()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits (bounded) until GET /v1/health answers; fails at once if the process exits. */
  async healthy(profile: NodeProfile, ms = 60_000): Promise<void> {
    await until(`${this.dir} answering /v1/health`, ms, async () => {
      if (!this.running) throw new Fatal(`the node exited:\n${this.output.join('\n')}`);
      const r = await pinnedRequest({
        url: `${profile.node}/v1/health`,
        fingerprint: profile.fingerprint,
        method: 'GET',
        timeoutMs: 2_000,
      });
      return r.status === 200 ? true : undefined;
    });
  }

  /** Sends a signal to the node alone, or to its process group (the node and its party). */
  signal(sig: NodeJS.Signals, group: boolean): void {
    process.kill(group ? -this.pid : this.pid, sig);
  }

  /** SIGTERM (a stopped node is continued first), then SIGKILL to the group after ms. */
  async stop(ms = 10_000): Promise<void> {
    if (!this.running) return;
    try {
      this.signal('SIGCONT', true);
      this.child.kill('SIGTERM');
    } catch {
      // exited meanwhile
    }
    const t = setTimeout(() => {
      try {
        this.signal('SIGKILL', true);
      } catch {
        // exited meanwhile
      }
    }, ms);
    await this.exited;
    clearTimeout(t);
  }
}

for (const backend of BACKENDS) {
  describe(`crash safety with real node processes (${backend.name})`, () => {
    let root = '';
    let dirs: string[] = [];
    const dbs: Awaited<ReturnType<Backend['location']>>[] = [];
    const procs: NodeProcess[] = [];
    const profiles: NodeProfile[] = [];
    const owners: NodeClient[] = [];
    const auditors: NodeClient[] = [];
    let analyst: NodeClient;
    let killed: { run: string; before: Budget } | undefined;
    const notes: string[] = [];
    const note = (s: string) => notes.push(s);

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'entente-crash-test-'));
      for (let i = 0; i < ids.length; i++) dbs.push(await backend.location(root));
      dirs = await initLocalNodes(
        root,
        HOSPITALS.map((h, i) => ({
          id: h.id,
          name: h.name,
          ...(dbs[i]!.database ? { database: dbs[i]!.database } : {}),
        })),
      );
      for (const d of dirs) {
        const c = JSON.parse(await readFile(configPath(d), 'utf8')) as object;
        await writeFile(configPath(d), JSON.stringify({ ...c, timeouts: TIMEOUTS }, null, 2));
      }
      for (const d of dirs) profiles.push(await addLocalUser(d, 'owner', 'owner'));
      for (const d of dirs)
        auditors.push(new NodeClient(await addLocalUser(d, 'auditor', 'auditor')));
      analyst = new NodeClient(await addLocalUser(dirs[0]!, 'analyst', 'analyst'));
      owners.push(...profiles.map((p) => new NodeClient(p)));
      const files = await Promise.all(
        ids.map(async (id, i) => {
          const file = join(root, `${id}.csv`);
          await writeFile(file, patientsCsv(generatePatients(i, ROWS, 11)));
          return file;
        }),
      );
      const t0 = Date.now();
      procs.push(...dirs.map((d) => new NodeProcess(d)));
      await Promise.all(procs.map((p, i) => p.healthy(profiles[i]!)));
      note(`three nodes answered ${Date.now() - t0} ms after they were started`);
      for (const [i, o] of owners.entries())
        await o.post('/v1/datasets', {
          name: 'patients',
          path: files[i],
          schema: SCHEMA,
          budget: BUDGET,
        });
    }, 120_000);

    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop()));
      // Anything left under the test's folder (an orphaned party process).
      if (root)
        for (const p of await processesWith(root).catch(() => []))
          if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      for (const db of dbs) await db.drop().catch(() => undefined);
      if (root) await rm(root, { recursive: true, force: true });
      if (notes.length > 0)
        process.stderr.write(`crash safety (${backend.name}):\n  ${notes.join('\n  ')}\n`);
    }, 60_000);

    const budgetAt = async (i: number): Promise<Budget> => {
      const ds = await owners[i]!.get<{ name: string; budget: Budget }[]>('/v1/datasets');
      const b = ds.find((d) => d.name === 'patients')!.budget;
      return {
        epsilon_spent: b.epsilon_spent,
        epsilon_reserved: b.epsilon_reserved,
        delta_spent: b.delta_spent,
        delta_reserved: b.delta_reserved,
      };
    };

    /** The party process of a run at node i (a child of the node process). */
    const partyOf = async (i: number, run: string) => {
      const found = await processesWith(join(dirs[i]!, 'runs', run));
      const party = found.find((x) => x.ppid === procs[i]!.pid);
      expect(party, `${ids[i]}'s party process for ${run}: ${JSON.stringify(found)}`).toBeDefined();
      return party!.pid;
    };

    /** Proposes and approves the study; resolves once the victim's party is mid-regression. */
    async function startRun(iterations = ITERATIONS): Promise<{ run: string; before: Budget[] }> {
      // No party process of an earlier run may still hold an MPC port.
      await until('earlier party processes to end', 30_000, async () =>
        (await processesWith(root)).some((p) => p.args.includes(' study ')) ? undefined : true,
      );
      const before = await Promise.all(ids.map((_, i) => budgetAt(i)));
      const p = await analyst.post<{ id: string; hash: string; unreached: string[] }>(
        '/v1/proposals',
        { study: studyText(ANALYSES.map((a) => (a.id === 'model' ? { ...a, iterations } : a))) },
      );
      expect(p.unreached).toEqual([]);
      for (const o of owners) await o.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
      const t0 = Date.now();
      const run = await until(`${ids[VICTIM]} computing the regression`, 60_000, async () => {
        const rs = await owners[VICTIM]!.get<RunView[]>('/v1/runs');
        const r = rs.find((x) => x.proposal_id === p.id);
        if (r?.state === 'released' || r?.state === 'failed')
          throw new Fatal(`the run ended (${r.state}: ${r.reason}) before the kill`);
        return r?.state === 'running' && r.progress.some((l) => /logistic regression/.test(l))
          ? r
          : undefined;
      });
      note(
        `run ${run.id} reached the regression at ${ids[VICTIM]} ${Date.now() - t0} ms after the last approval`,
      );
      return { run: run.id, before };
    }

    /** The victim, started again if it is not running. */
    async function victimUp(): Promise<void> {
      if (procs[VICTIM]!.running) return;
      procs[VICTIM] = new NodeProcess(dirs[VICTIM]!);
      await procs[VICTIM].healthy(profiles[VICTIM]!);
    }

    /** Waits until the run has failed at each survivor; fails at once if one released it. */
    async function survivorsFail(run: string, t0: number, bound: number) {
      return Promise.all(
        SURVIVORS.map((i) =>
          until(`${ids[i]} failing run ${run}`, bound, async () => {
            const r = await owners[i]!.get<RunView>(`/v1/runs/${run}`);
            if (r.state === 'released')
              throw new Fatal(`${ids[i]} released run ${run} after ${ids[VICTIM]} was lost`);
            return r.state === 'failed'
              ? { reason: r.reason ?? '', ms: Date.now() - t0 }
              : undefined;
          }),
        ),
      );
    }

    /** Nothing charged or held for the run at node i, its ledger returned what it reserved, no result. */
    async function nothingCharged(i: number, run: string, before: Budget): Promise<void> {
      expect(await budgetAt(i), ids[i]).toEqual(before);
      const ledger = (await owners[i]!.get<LedgerRow[]>('/v1/ledger')).filter(
        (l) => l.run_id === run,
      );
      expect(
        ledger.map((l) => [l.kind, l.epsilon]),
        ids[i],
      ).toEqual([
        ['reserve', EPSILON],
        ['return', EPSILON],
      ]);
      await expect(owners[i]!.get(`/v1/results/${run}`), ids[i]).rejects.toMatchObject({
        status: 404,
      });
      const log =
        await auditors[i]!.get<{ kind: string; body: { run?: string } }[]>('/v1/audit?limit=10000');
      const kinds = log.filter((e) => e.body.run === run).map((e) => e.kind);
      expect(kinds, ids[i]).toContain('run.queued');
      expect(kinds, ids[i]).toContain('run.failed');
      expect(kinds, ids[i]).not.toContain('run.released');
    }

    /** The node's own chain verifies; heads held for an unreachable victim cannot be checked. */
    async function chainVerifies(i: number, victimDown: boolean): Promise<void> {
      const v = await auditors[i]!.get<Verdict>('/v1/audit/verify');
      expect(v.firstBad, ids[i]).toBeUndefined();
      expect(v.peers.length, ids[i]).toBeGreaterThan(0);
      for (const h of v.peers)
        if (victimDown && h.peer === ids[VICTIM]) expect(h.problem).toMatch(/unreachable/);
        else expect(h, ids[i]).toMatchObject({ ok: true });
      if (!victimDown) expect(v.ok, ids[i]).toBe(true);
    }

    /** Starts the victim again and checks what it shows of the run, then every node's audit log. */
    async function restartVictim(run: string, before: Budget): Promise<void> {
      const t0 = Date.now();
      procs[VICTIM] = new NodeProcess(dirs[VICTIM]!);
      await procs[VICTIM].healthy(profiles[VICTIM]!);
      note(`${ids[VICTIM]} answered ${Date.now() - t0} ms after its restart`);
      const r = await owners[VICTIM]!.get<RunView>(`/v1/runs/${run}`);
      note(`${ids[VICTIM]} after its restart: ${r.state}: ${r.reason}`);
      expect(r.state).toBe('failed');
      expect(r.reason).toMatch(/restart|stopped/);
      await nothingCharged(VICTIM, run, before);
      // Every chain verifies, and so does every head the nodes exchanged at the run's start.
      for (let i = 0; i < ids.length; i++) await chainVerifies(i, false);
    }

    it('kill -9 of a node process mid-run: its party stops, the others abort and say why, nothing is charged or shown', async () => {
      const { run, before } = await startRun();
      killed = { run, before: before[VICTIM]! };
      const victim = procs[VICTIM]!;
      const party = await partyOf(VICTIM, run);
      const t0 = Date.now();
      victim.signal('SIGKILL', false);
      await victim.exited;
      try {
        // Its party (now an orphan) must not go on: the run cannot finish without the node.
        const failed = await survivorsFail(run, t0, TIMEOUTS.roundMs + SLACK_MS).catch(
          (e: Error) => {
            throw new Error(
              `${e.message}; ${ids[VICTIM]}'s party process ${party} is ${alive(party) ? 'still there (orphaned)' : 'gone'}`,
            );
          },
        );
        for (const [k, f] of failed.entries()) {
          note(`${ids[SURVIVORS[k]!]} failed the run ${f.ms} ms after the kill: ${f.reason}`);
          expect(f.reason).toMatch(new RegExp(ids[VICTIM]!));
        }
        const gone = await until(
          'the orphaned party process to exit',
          TIMEOUTS.roundMs,
          async () => ((await ended(party)) ? Date.now() - t0 : undefined),
        );
        note(`${ids[VICTIM]}'s orphaned party process exited ${gone} ms after the kill`);
        // Nor did it leave an outcome behind in the node's folder.
        await expect(readFile(join(dirs[VICTIM]!, 'runs', run, 'outcome.json'))).rejects.toThrow(
          /ENOENT/,
        );
      } finally {
        if (alive(party)) process.kill(party, 'SIGKILL');
      }
      for (const i of SURVIVORS) {
        await nothingCharged(i, run, before[i]!);
        await chainVerifies(i, true);
      }
      await expect(analyst.get(`/v1/results/${run}`)).rejects.toMatchObject({ status: 404 });
    }, 120_000);

    it('the killed node, started again, fails the run with a reason and charges nothing; every audit chain verifies', async () => {
      expect(killed, 'the first test started a run').toBeDefined();
      await restartVictim(killed!.run, killed!.before);
    }, 120_000);

    let hung: { run: string; before: Budget } | undefined;

    it('a node that hangs mid-run (SIGSTOP): the others abort within their round deadline and charge nothing', async () => {
      await victimUp();
      const { run, before } = await startRun();
      hung = { run, before: before[VICTIM]! };
      const victim = procs[VICTIM]!;
      const t0 = Date.now();
      victim.signal('SIGSTOP', true);
      try {
        const failed = await survivorsFail(run, t0, TIMEOUTS.roundMs + SLACK_MS);
        for (const [k, f] of failed.entries()) {
          note(`${ids[SURVIVORS[k]!]} failed the run ${f.ms} ms after the hang: ${f.reason}`);
          expect(f.reason).toMatch(new RegExp(ids[VICTIM]!));
        }
      } finally {
        // Then it crashes, node and party at once (its whole machine).
        victim.signal('SIGKILL', true);
        await victim.exited;
      }
      for (const i of SURVIVORS) {
        await nothingCharged(i, run, before[i]!);
        await chainVerifies(i, true);
      }
    }, 120_000);

    it('the hung node, killed and started again over a partial outcome file, fails the run and charges nothing', async () => {
      expect(hung, 'the previous test started a run').toBeDefined();
      // What a party killed while writing its outcome leaves: it must neither be
      // released nor keep the node from starting.
      const file = join(dirs[VICTIM]!, 'runs', hung!.run, 'outcome.json');
      await writeFile(file, '{"study":"Node te');
      try {
        await restartVictim(hung!.run, hung!.before);
      } finally {
        // If the node refused to start, an operator's way out, so that the next test can run.
        if (!procs[VICTIM]!.running) await rm(file, { force: true });
      }
    }, 120_000);

    it('a node process that stops while its party finishes, then is killed: started again, it releases what the others released and charges it', async () => {
      await victimUp();
      const { run, before } = await startRun(1);
      const victim = procs[VICTIM]!;
      const party = await partyOf(VICTIM, run);
      type Released = { outcome: { analyses: { id: string; rows: unknown[] }[] }; epsilon: number };
      const rows = (r: Released) => r.outcome.analyses.map((a) => [a.id, a.rows]);
      // The node alone hangs: its party goes on, finishes and writes its outcome,
      // which the node cannot record; then the node crashes.
      victim.signal('SIGSTOP', false);
      let theirs: Released[];
      try {
        theirs = await Promise.all(
          SURVIVORS.map((i) =>
            until(`${ids[i]} releasing ${run}`, 60_000, async () => {
              const r = await owners[i]!.get<RunView>(`/v1/runs/${run}`);
              if (r.state === 'failed') throw new Fatal(`${ids[i]} failed ${run}: ${r.reason}`);
              return r.state === 'released'
                ? owners[i]!.get<Released>(`/v1/results/${run}`)
                : undefined;
            }),
          ),
        );
        await until(`${ids[VICTIM]}'s party to end`, 30_000, async () =>
          (await ended(party)) ? true : undefined,
        );
      } finally {
        victim.signal('SIGKILL', false);
        await victim.exited;
      }
      expect(rows(theirs[1]!)).toEqual(rows(theirs[0]!));
      const t0 = Date.now();
      procs[VICTIM] = new NodeProcess(dirs[VICTIM]!);
      await procs[VICTIM].healthy(profiles[VICTIM]!);
      const r = await owners[VICTIM]!.get<RunView>(`/v1/runs/${run}`);
      note(
        `${ids[VICTIM]}, stopped while its party finished, then killed, answered ${Date.now() - t0} ms after its restart: ${r.state}${r.reason ? `: ${r.reason}` : ''}`,
      );
      expect(r.state).toBe('released');
      const mine = await owners[VICTIM]!.get<Released>(`/v1/results/${run}`);
      expect(rows(mine)).toEqual(rows(theirs[0]!));
      expect(mine.epsilon).toBe(EPSILON);
      // Every node charged the same epsilon for the same release, once.
      for (let i = 0; i < ids.length; i++) {
        const b = await budgetAt(i);
        expect(b.epsilon_spent, ids[i]).toBeCloseTo(before[i]!.epsilon_spent + EPSILON, 12);
        expect(b.epsilon_reserved, ids[i]).toBeCloseTo(before[i]!.epsilon_reserved, 12);
        const ledger = (await owners[i]!.get<LedgerRow[]>('/v1/ledger')).filter(
          (l) => l.run_id === run,
        );
        expect(
          ledger.map((l) => [l.kind, l.epsilon]),
          ids[i],
        ).toEqual([
          ['reserve', EPSILON],
          ['charge', EPSILON],
        ]);
        const log =
          await auditors[i]!.get<{ kind: string; body: { run?: string } }[]>(
            '/v1/audit?limit=10000',
          );
        const kinds = log.filter((e) => e.body.run === run).map((e) => e.kind);
        expect(kinds, ids[i]).toContain('run.released');
        expect(kinds, ids[i]).not.toContain('run.failed');
        await chainVerifies(i, false);
      }
    }, 120_000);
  });
}
