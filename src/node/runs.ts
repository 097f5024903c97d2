/**
 * Runs of approved proposals. Each node runs its own party of the study in a
 * child process (the same `entente study --federation` a one-shot deployment
 * uses: the engine, its TLS links and its bounded deadlines), so a failing
 * computation cannot take the node down, and the node only ever sees what the
 * engine releases (after suppression and noise).
 *
 *   queued -> running (progress per analysis) -> released | failed (reason)
 *
 * The run id is derived from the proposal hash, so every node names the same
 * run and the MPC session is bound to exactly the approved proposal. Budget is
 * reserved before the child starts, charged in the transaction that stores
 * the release, and returned on failure. A node that restarts marks the runs it
 * had in progress as failed (and returns their budget): nothing partial is
 * ever shown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spend } from '../analytics/study/spec.js';
import { appendAudit } from './audit.js';
import { runsDir, type NodeConfig } from './config.js';
import { checkedDataset } from './datasets.js';
import {
  chargeBudget,
  GovernanceError,
  getProposal,
  ownDatasetName,
  proposalStudy,
  reserveBudget,
  returnBudget,
} from './governance.js';
import type { Signer } from './signer.js';
import type { NodeDb, Proposal, Run } from './store/schema.js';

const BIN = fileURLToPath(new URL('../../bin/entente.js', import.meta.url));
/** Progress lines kept per run (the newest). */
const PROGRESS_KEPT = 200;

export const runIdOf = (p: Proposal): string => `r-${p.hash.slice(0, 20)}`;

export interface RunEvent {
  readonly run: string;
  readonly state: Run['state'];
  readonly line?: string;
  readonly reason?: string;
}

export interface RunnerDeps {
  readonly dir: string;
  readonly config: NodeConfig;
  readonly db: NodeDb;
  readonly signer: Signer;
  readonly identity: {
    readonly keyPath: string;
    readonly certPath: string;
    readonly fingerprint: string;
  };
  /** Called when a run fails here (not on another node's word): tell the run's other nodes. */
  readonly onFail?: (runId: string, reason: string) => Promise<void>;
  /** Called once a run has started, to exchange audit-log heads with the other nodes. */
  readonly onStart?: (run: Run, parties: readonly string[]) => Promise<void>;
  readonly log: (line: string) => void;
}

/** Starts and tracks this node's runs. */
export class Runner {
  readonly events = new EventEmitter();
  private readonly children = new Map<string, ChildProcess>();
  private closing = false;
  private readonly preparing = new Map<string, Promise<Run>>();

  constructor(private readonly d: RunnerDeps) {
    this.events.setMaxListeners(1000);
  }

  /** Runs in progress when the node stopped fail now, with their budget returned. */
  async recover(): Promise<number> {
    const stale = await this.d.db
      .selectFrom('runs')
      .selectAll()
      .where('state', 'in', ['queued', 'running'])
      .execute();
    for (const r of stale) {
      // The party finished and wrote its outcome before the node stopped: the other
      // nodes may have released it, so this node records the release and charges it.
      const outcome = await readFile(join(runsDir(this.d.dir), r.id, 'outcome.json'), 'utf8').then(
        (t) => {
          try {
            return JSON.parse(t) ? t.trim() : undefined;
          } catch {
            // Cut short by the crash: nothing complete was written here.
            this.d.log(`run ${r.id}: its outcome file is incomplete; the run failed`);
            return undefined;
          }
        },
        () => undefined,
      );
      if (outcome !== undefined) {
        const p = await getProposal(this.d.db, r.proposal_id);
        const ds = ownDatasetName(
          proposalStudy(p.study_text, JSON.parse(p.parties) as string[]),
          this.d.config.id,
        );
        await this.release(r.id, p, ds, outcome);
      } else
        await this.fail(
          r.id,
          'this node stopped during the run (it was restarted); nothing was released',
        );
    }
    return stale.length;
  }

  /**
   * Records this node's run of an approved proposal and reserves its budget
   * (phase one; `launch` starts the party). Preparing twice returns the same run.
   * @throws {GovernanceError} when the run may not go ahead (the run is then recorded as failed).
   */
  async prepare(p: Proposal): Promise<{ run: Run; created: boolean }> {
    // Decisions arriving together may ask twice at once: one preparation per run.
    const id = runIdOf(p);
    const busy = this.preparing.get(id);
    if (busy) return busy.then((run) => ({ run, created: false }));
    const work = this.prepareOnce(p, id);
    const shared = work.then((r) => r.run);
    shared.catch(() => undefined); // the caller of `work` handles its failure
    this.preparing.set(id, shared);
    try {
      return await work;
    } finally {
      this.preparing.delete(id);
    }
  }

  private async prepareOnce(p: Proposal, id: string): Promise<{ run: Run; created: boolean }> {
    const existing = await this.d.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (existing) return { run: existing, created: false };
    const parties = JSON.parse(p.parties) as string[];
    const study = proposalStudy(p.study_text, parties);
    const datasetName = ownDatasetName(study, this.d.config.id);
    const run: Run = {
      id,
      proposal_id: p.id,
      hash: p.hash,
      state: 'queued',
      progress: '[]',
      reason: null,
      started_at: new Date().toISOString(),
      finished_at: null,
    };
    try {
      await this.d.db.transaction().execute(async (tx) => {
        await tx.insertInto('runs').values(run).execute();
        if (datasetName !== undefined)
          await reserveBudget(tx, datasetName, id, spend(study.analyses));
        await appendAudit(tx, this.d.signer, {
          kind: 'run.queued',
          actor: `node:${this.d.config.id}`,
          body: {
            run: id,
            proposal: p.id,
            hash: p.hash,
            dataset: datasetName ?? null,
            reserved: spend(study.analyses),
          },
        });
      });
    } catch (e) {
      if (!(e instanceof GovernanceError)) throw e;
      // The run row did not commit: record the refusal as a failed run, then report it.
      await this.d.db
        .insertInto('runs')
        .values(run)
        .onConflict((c) => c.column('id').doNothing())
        .execute();
      await this.fail(id, e.message);
      throw e;
    }
    return { run, created: true };
  }

  /** Phase two: starts the party process of a prepared run (returns at once). */
  launch(p: Proposal, run: Run): void {
    if (run.state !== 'queued' || this.children.has(run.id)) return;
    const parties = JSON.parse(p.parties) as string[];
    const datasetName = ownDatasetName(proposalStudy(p.study_text, parties), this.d.config.id);
    void this.execute(p, run, datasetName)
      .catch((e: Error) => this.fail(run.id, `internal error: ${e.message}`))
      .catch((e: Error) => this.d.log(`run ${run.id}: cannot record its failure (${e.message})`));
  }

  /** Stops a run on another node's word (it could not start, or it failed first). */
  async abort(runId: string, reason: string): Promise<void> {
    // Failed first, so the reason is the other node's and not the killed child's exit.
    await this.fail(runId, reason, false);
    this.children.get(runId)?.kill('SIGTERM');
  }

  async get(id: string): Promise<Run> {
    const r = await this.d.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r) throw new GovernanceError(`no run '${id}'`, 404);
    return r;
  }

  private emit(e: RunEvent): void {
    this.events.emit('run', e);
  }

  private async execute(p: Proposal, run: Run, datasetName: string | undefined): Promise<void> {
    const { config } = this.d;
    const dir = join(runsDir(this.d.dir), run.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let dataPath: string | undefined;
    let dataHash: string | undefined;
    if (datasetName !== undefined) {
      try {
        const d = await checkedDataset(this.d.db, datasetName);
        const mine = await this.d.db
          .selectFrom('approvals')
          .select('conditions')
          .where('proposal_id', '=', p.id)
          .where('node', '=', this.d.config.id)
          .executeTakeFirst();
        const approved =
          mine && (JSON.parse(mine.conditions) as { datasetHash?: string }).datasetHash;
        if (approved !== d.content_hash)
          return this.fail(
            run.id,
            `dataset '${datasetName}' was registered again since the owner approved (approved SHA-256 ${String(approved).slice(0, 12)}..., now ${d.content_hash.slice(0, 12)}...); propose again`,
          );
        dataPath = d.path;
        dataHash = d.content_hash;
      } catch (e) {
        return this.fail(run.id, (e as Error).message);
      }
    }
    const parties = JSON.parse(p.parties) as string[];
    const fedParties = [];
    for (const id of parties) {
      if (id === config.id) {
        fedParties.push({
          id,
          host: config.mpc.host,
          port: config.mpc.port,
          fingerprint: this.d.identity.fingerprint,
          suites: [p.suite],
        });
        continue;
      }
      const peer = config.peers.find((x) => x.id === id);
      if (!peer)
        return this.fail(run.id, `the study names '${id}', which is not a peer of this node`);
      fedParties.push({
        id,
        host: peer.mpc.host,
        port: peer.mpc.port,
        fingerprint: peer.fingerprint,
        suites: [p.suite],
      });
    }
    const studyFile = join(dir, 'study.yaml');
    const fedFile = join(dir, 'federation.json');
    const outcomeFile = join(dir, 'outcome.json');
    await writeFile(studyFile, p.study_text);
    await writeFile(
      fedFile,
      JSON.stringify(
        {
          name: `run ${run.id}`,
          session: run.id,
          suite: p.suite,
          timeouts: { connectMs: config.timeouts.connectMs, roundMs: config.timeouts.roundMs },
          parties: fedParties,
        },
        null,
        2,
      ),
    );
    await this.d.db
      .updateTable('runs')
      .set({ state: 'running' })
      .where('id', '=', run.id)
      .execute();
    this.emit({ run: run.id, state: 'running' });
    await this.d
      .onStart?.({ ...run, state: 'running' }, parties)
      .catch((e: Error) =>
        this.d.log(`run ${run.id}: could not exchange log heads (${e.message})`),
      );

    const args = [
      '--single-threaded-gc',
      BIN,
      'study',
      studyFile,
      '--federation',
      fedFile,
      '--party',
      config.id,
      '--key',
      this.d.identity.keyPath,
      '--cert',
      this.d.identity.certPath,
      '--suite',
      p.suite,
      '--outcome',
      outcomeFile,
      '--quiet',
      '1',
      ...(config.listen === undefined ? [] : ['--listen', config.listen]),
      ...(dataPath ? ['--data', dataPath] : []),
    ];
    // The party reads nothing from stdin; it exits when that pipe closes, which is
    // when this node's process is gone (even after kill -9): a party must never go on
    // computing, and release to the others, for a node that can no longer record it.
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: {
        ...process.env,
        ENTENTE_STUDY_QUIET: '1',
        ENTENTE_EXIT_WITH_PARENT: '1',
        // The party checks the bytes it reads, not just the node before it starts.
        ...(dataHash ? { ENTENTE_STUDY_DATA_SHA256: dataHash } : {}),
      },
    });
    this.children.set(run.id, child);
    const progress: string[] = [];
    let lastError = '';
    let pending: Promise<unknown> = Promise.resolve();
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const raw of lines) {
        const line = raw.trim();
        if (line === '') continue;
        if (line.startsWith('progress: ')) {
          const text = line.slice('progress: '.length);
          progress.push(text);
          if (progress.length > PROGRESS_KEPT) progress.shift();
          this.emit({ run: run.id, state: 'running', line: text });
          const snapshot = JSON.stringify(progress);
          pending = pending.then(() =>
            this.d.db
              .updateTable('runs')
              .set({ progress: snapshot })
              .where('id', '=', run.id)
              .where('state', '=', 'running')
              .execute(),
          );
        } else if (/^entente|error|abort/i.test(line)) lastError = line;
      }
    });
    const deadline = setTimeout(() => {
      lastError = `the run took longer than ${config.timeouts.runMs} ms and was stopped`;
      child.kill('SIGKILL');
    }, config.timeouts.runMs);
    const exit = await new Promise<{ code: number | null; signal: string | null }>((done) => {
      child.on('error', (e) => {
        lastError = `cannot start the party process: ${e.message}`;
      });
      child.on('close', (code, signal) => done({ code, signal }));
    });
    clearTimeout(deadline);
    this.children.delete(run.id);
    await pending.catch(() => undefined);
    // A node stopping records its runs itself (stopAll), before its database closes.
    if (this.closing) return;
    if (exit.code !== 0) {
      const why =
        lastError ||
        (exit.signal
          ? `the party process was killed (${exit.signal})`
          : `the party process exited with status ${exit.code}`);
      return this.fail(run.id, why);
    }
    let outcome: string;
    try {
      outcome = (await readFile(outcomeFile, 'utf8')).trim();
      JSON.parse(outcome);
    } catch (e) {
      return this.fail(
        run.id,
        `the party process left no readable outcome (${(e as Error).message})`,
      );
    }
    await this.release(run.id, p, datasetName, outcome);
  }

  private async release(
    runId: string,
    p: Proposal,
    datasetName: string | undefined,
    outcome: string,
  ): Promise<void> {
    const at = new Date().toISOString();
    const spent = await this.d.db.transaction().execute(async (tx) => {
      const cost =
        datasetName !== undefined
          ? await chargeBudget(tx, datasetName, runId)
          : { epsilon: 0, delta: 0 };
      await tx
        .insertInto('releases')
        .values({ run_id: runId, outcome, epsilon: cost.epsilon, delta: cost.delta, at })
        .execute();
      await tx
        .updateTable('runs')
        .set({ state: 'released', finished_at: at })
        .where('id', '=', runId)
        .execute();
      await tx.updateTable('proposals').set({ status: 'ran' }).where('id', '=', p.id).execute();
      await appendAudit(tx, this.d.signer, {
        kind: 'run.released',
        actor: `node:${this.d.config.id}`,
        body: {
          run: runId,
          proposal: p.id,
          hash: p.hash,
          dataset: datasetName ?? null,
          spent: cost,
          released: JSON.parse(outcome) as unknown,
        },
      });
      return cost;
    });
    this.d.log(`run ${runId}: released (epsilon ${spent.epsilon} charged)`);
    this.emit({ run: runId, state: 'released' });
  }

  /** Marks a run failed, returns its budget and records why. Idempotent. */
  async fail(runId: string, reason: string, notify = true): Promise<void> {
    const done = await this.d.db.transaction().execute(async (tx) => {
      const r = await tx
        .selectFrom('runs')
        .selectAll()
        .where('id', '=', runId)
        .forUpdate()
        .executeTakeFirst();
      if (!r || r.state === 'released' || r.state === 'failed') return false;
      const p = await getProposal(tx, r.proposal_id);
      const study = proposalStudy(p.study_text, JSON.parse(p.parties) as string[]);
      const ds = ownDatasetName(study, this.d.config.id);
      const returned =
        ds !== undefined ? await returnBudget(tx, ds, runId) : { epsilon: 0, delta: 0 };
      await tx
        .updateTable('runs')
        .set({ state: 'failed', reason, finished_at: new Date().toISOString() })
        .where('id', '=', runId)
        .execute();
      await appendAudit(tx, this.d.signer, {
        kind: 'run.failed',
        actor: `node:${this.d.config.id}`,
        body: { run: runId, proposal: r.proposal_id, reason, returned },
      });
      return true;
    });
    if (done) {
      this.d.log(`run ${runId}: failed: ${reason}`);
      this.emit({ run: runId, state: 'failed', reason });
      if (notify)
        void this.d
          .onFail?.(runId, reason)
          .catch((e: Error) =>
            this.d.log(`run ${runId}: could not tell the other nodes (${e.message})`),
          );
    }
  }

  /**
   * Node shutdown: stops every party process (bounded), then records their runs
   * as failed and tells the other nodes, while the database is still open.
   */
  async stopAll(): Promise<void> {
    this.closing = true;
    const running = [...this.children.entries()];
    await Promise.all(
      running.map(
        ([, c]) =>
          new Promise<void>((done) => {
            if (c.exitCode !== null || c.signalCode !== null) return done();
            const force = setTimeout(() => c.kill('SIGKILL'), 5_000);
            c.once('close', () => {
              clearTimeout(force);
              done();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    for (const [id] of running)
      await this.fail(id, 'the node was stopped during the run; nothing was released');
  }
}
