/**
 * A party node: one organisation's long-running service. It owns the store,
 * the node's key, its peers and its runs; the HTTP API (http/app.ts) and the
 * CLI call it. Nothing here listens: server.ts does.
 */
import { join } from 'node:path';
import { appendAudit, auditHead, type AuditHead } from './audit.js';
import { identityDir, type NodeConfig, type PeerConfig } from './config.js';
import {
  approvalsOf,
  decide,
  GovernanceError,
  receiveApproval,
  receiveProposal,
  type DecisionInput,
} from './governance.js';
import { pinnedRequest } from './pinned-https.js';
import { Runner } from './runs.js';
import { signerFromPem, verifierFromPem, type Signer, type Verifier } from './signer.js';
import type { Approval, NodeDb, Proposal, User } from './store/schema.js';
import type { Store } from './store/store.js';
import { FailureThrottle, TokenVerifier } from './auth.js';

export interface NodeIdentity {
  readonly key: string;
  readonly cert: string;
  readonly fingerprint: string;
}

export interface PartyNodeOptions {
  readonly dir: string;
  readonly config: NodeConfig;
  readonly store: Store;
  readonly identity: NodeIdentity;
  readonly log?: (line: string) => void;
  /** Bound on each call to a peer. */
  readonly peerTimeoutMs?: number;
}

export class PartyNode {
  readonly dir: string;
  readonly config: NodeConfig;
  readonly db: NodeDb;
  readonly store: Store;
  readonly signer: Signer;
  readonly identity: NodeIdentity;
  readonly runner: Runner;
  readonly tokens: TokenVerifier;
  readonly throttle = new FailureThrottle();
  readonly log: (line: string) => void;
  private readonly verifiers = new Map<string, Verifier>();
  private readonly peerCerts = new Map<string, string>();
  private readonly peerTimeoutMs: number;

  constructor(o: PartyNodeOptions) {
    this.dir = o.dir;
    this.config = o.config;
    this.store = o.store;
    this.db = o.store.db;
    this.identity = o.identity;
    this.signer = signerFromPem(o.config.id, o.identity.key);
    this.tokens = new TokenVerifier(this.db);
    this.log = o.log ?? ((l) => process.stderr.write(`entente node ${o.config.id}: ${l}\n`));
    this.peerTimeoutMs = o.peerTimeoutMs ?? 15_000;
    const ids = identityDir(o.dir);
    this.runner = new Runner({
      dir: o.dir,
      config: o.config,
      db: this.db,
      signer: this.signer,
      identity: {
        keyPath: join(ids, `${o.config.id}.key`),
        certPath: join(ids, `${o.config.id}.crt`),
        fingerprint: o.identity.fingerprint,
      },
      onStart: (run, parties) => this.exchangeHeads(run.id, parties),
      onFail: (runId, reason) => this.runFailed(runId, reason),
      log: this.log,
    });
  }

  /** This node and its peers: the nodes a study may name. */
  nodes(): string[] {
    return [this.config.id, ...this.config.peers.map((p) => p.id)];
  }

  peer(id: string): PeerConfig {
    const p = this.config.peers.find((x) => x.id === id);
    if (!p) throw new GovernanceError(`'${id}' is not a peer of this node`, 404);
    return p;
  }

  /** The peer whose pinned certificate has this fingerprint, if any. */
  peerByFingerprint(fp: string | undefined): PeerConfig | undefined {
    return fp === undefined ? undefined : this.config.peers.find((p) => p.fingerprint === fp);
  }

  /** Records a peer's certificate (seen on its TLS connection) to verify its signatures. */
  rememberPeerCert(id: string, certPem: string): void {
    if (!this.peerCerts.has(id)) {
      this.peerCerts.set(id, certPem);
      this.verifiers.set(id, verifierFromPem(certPem));
    }
  }

  verifierOf(id: string): Verifier {
    const v = this.verifiers.get(id);
    if (!v) throw new GovernanceError(`no certificate seen yet for peer '${id}'`, 403);
    return v;
  }

  /** One call to a peer's federation API, over TLS with both certificates pinned. */
  async callPeer(
    id: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const peer = this.peer(id);
    const r = await pinnedRequest({
      url: `${peer.api}${path}`,
      fingerprint: peer.fingerprint,
      method,
      body,
      clientCert: { cert: this.identity.cert, key: this.identity.key },
      timeoutMs: this.peerTimeoutMs,
    });
    this.rememberPeerCert(id, r.certPem);
    if (r.status >= 300) {
      const msg = (r.body as { error?: string } | undefined)?.error ?? r.text.slice(0, 200);
      throw new GovernanceError(`peer ${id} answered ${r.status}: ${msg}`, 409);
    }
    return r.body;
  }

  /** Sends to every other node the proposal names; returns the nodes that could not be reached. */
  async sendProposal(p: Proposal): Promise<string[]> {
    const others = (JSON.parse(p.parties) as string[]).filter((n) => n !== this.config.id);
    return this.sendToAll(others, '/v1/federation/proposals', p);
  }

  async sendDecision(p: Proposal, a: Approval): Promise<string[]> {
    const others = [...new Set([...(JSON.parse(p.parties) as string[]), p.proposer_node])].filter(
      (n) => n !== this.config.id,
    );
    return this.sendToAll(others, '/v1/federation/decisions', a);
  }

  private async sendToAll(ids: readonly string[], path: string, body: unknown): Promise<string[]> {
    const failed: string[] = [];
    await Promise.all(
      ids.map(async (id) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.callPeer(id, 'POST', path, body);
            return;
          } catch (e) {
            if (attempt >= 2) {
              this.log(`could not reach ${id} (${path}): ${(e as Error).message}`);
              failed.push(id);
              return;
            }
            await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
          }
        }
      }),
    );
    return failed;
  }

  /** An owner's decision: recorded, signed, sent to the other nodes; a complete approval starts the run. */
  async decide(
    user: User,
    input: DecisionInput,
  ): Promise<{ approval: Approval; unreached: string[] }> {
    const approval = await decide(this.db, this.signer, user, input);
    const p = await this.proposal(input.proposalId);
    const unreached = await this.sendDecision(p, approval);
    await this.startIfApproved(p.id);
    return { approval, unreached };
  }

  /** A peer's signed decision. */
  async receiveDecision(from: string, a: Approval): Promise<void> {
    if (a.node === this.config.id) return; // our own decision, relayed back
    await receiveApproval(this.db, this.signer, from, this.verifierOf(a.node), a);
    await this.startIfApproved(a.proposal_id);
  }

  /**
   * What a peer may have missed while it or the network was down: the open
   * proposals that name it (those this node proposed) and every decision this
   * node holds on them. Pushes are best effort; this pull makes them certain.
   */
  async openFor(peer: string): Promise<{ proposals: Proposal[]; decisions: Approval[] }> {
    const open = await this.db
      .selectFrom('proposals')
      .selectAll()
      .where('status', 'in', ['pending', 'approved'])
      .execute();
    const named = open.filter((p) => (JSON.parse(p.parties) as string[]).includes(peer));
    const decisions =
      named.length === 0
        ? []
        : await this.db
            .selectFrom('approvals')
            .selectAll()
            .where(
              'proposal_id',
              'in',
              named.map((p) => p.id),
            )
            .execute();
    return { proposals: named.filter((p) => p.proposer_node === this.config.id), decisions };
  }

  /** One round of catching up with every peer (see openFor); failures are retried next round. */
  async sync(): Promise<void> {
    for (const peer of this.config.peers) {
      let got: { proposals: Proposal[]; decisions: Approval[] };
      try {
        got = (await this.callPeer(peer.id, 'GET', '/v1/federation/open')) as typeof got;
      } catch {
        continue; // down or unreachable: next round
      }
      for (const p of got.proposals)
        await receiveProposal(this.db, this.signer, this.nodes(), peer.id, p).catch((e: Error) =>
          this.log(`sync: proposal ${p.id} from ${peer.id}: ${e.message}`),
        );
      for (const a of got.decisions) {
        if (a.node === this.config.id || !this.hasVerifier(a.node)) continue;
        await this.receiveDecision(peer.id, a).catch((e: Error) =>
          this.log(`sync: decision of ${a.node} on ${a.proposal_id}: ${e.message}`),
        );
      }
    }
  }

  private hasVerifier(id: string): boolean {
    return this.verifiers.has(id);
  }

  async proposal(id: string): Promise<Proposal> {
    const p = await this.db
      .selectFrom('proposals')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!p) throw new GovernanceError(`no proposal '${id}'`, 404);
    return p;
  }

  /**
   * The node that starts a proposal's run: the first node the study names.
   * One coordinator per proposal means every node reserves budget for the
   * same runs in the same order as the coordinator decided, so two proposals
   * racing for the last of a budget do not each win at a different node.
   */
  static coordinatorOf(p: Proposal): string {
    return (JSON.parse(p.parties) as string[])[0]!;
  }

  /**
   * At the coordinator, once every named node approved: reserve here, ask
   * every other node to reserve and start, then start; if any node cannot,
   * the run fails everywhere at once (nobody waits for a link deadline).
   */
  async startIfApproved(proposalId: string): Promise<void> {
    const p = await this.proposal(proposalId);
    if (p.status !== 'approved' || PartyNode.coordinatorOf(p) !== this.config.id) return;
    let prepared;
    try {
      prepared = await this.runner.prepare(p);
    } catch (e) {
      if (e instanceof GovernanceError) return; // recorded as a failed run
      throw e;
    }
    // Only the call that created the run goes on (several decisions may complete it at once).
    const { run, created } = prepared;
    if (!created || run.state !== 'queued') return;
    const others = (JSON.parse(p.parties) as string[]).filter((n) => n !== this.config.id);
    const answers = await Promise.allSettled(
      others.map((n) =>
        this.callPeer(n, 'POST', '/v1/federation/runs', { proposal: p.id, hash: p.hash }),
      ),
    );
    const refused = answers.flatMap((a, i) =>
      a.status === 'rejected' ? [`${others[i]}: ${(a.reason as Error).message}`] : [],
    );
    if (refused.length > 0) {
      const reason = `not every node could start: ${refused.join('; ')}`;
      await this.runner.fail(run.id, reason);
      await this.tellAbort(run.id, others, reason);
      return;
    }
    this.runner.launch(p, run);
  }

  /**
   * At another node: the coordinator asks to start an approved proposal. The
   * last decision may still be on its way here, so wait for it (bounded).
   * @throws {GovernanceError} when this node will not run it (the coordinator aborts the run).
   */
  async startRequested(from: string, proposalId: string, hash: string): Promise<string> {
    let p = await this.proposal(proposalId);
    if (PartyNode.coordinatorOf(p) !== from)
      throw new GovernanceError(`${from} is not the coordinator of ${p.id}`, 403);
    if (p.hash !== hash) throw new GovernanceError(`proposal ${p.id} has another hash here`, 409);
    const until = Date.now() + 15_000;
    while (p.status === 'pending' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      p = await this.proposal(proposalId);
    }
    if (p.status !== 'approved')
      throw new GovernanceError(
        `proposal ${p.id} is ${p.status} at ${this.config.id}, not approved`,
        409,
      );
    const { run, created } = await this.runner.prepare(p);
    if (!created)
      throw new GovernanceError(`run ${run.id} exists at ${this.config.id} (${run.state})`, 409);
    this.runner.launch(p, run);
    return run.id;
  }

  private async tellAbort(runId: string, nodes: readonly string[], reason: string): Promise<void> {
    await Promise.allSettled(
      nodes.map((n) => this.callPeer(n, 'POST', '/v1/federation/aborts', { run: runId, reason })),
    );
  }

  /** A run failed here: tell the run's other nodes, so they stop at once. */
  async runFailed(runId: string, reason: string): Promise<void> {
    const r = await this.db
      .selectFrom('runs')
      .select('proposal_id')
      .where('id', '=', runId)
      .executeTakeFirst();
    if (!r) return;
    const p = await this.proposal(r.proposal_id);
    const others = (JSON.parse(p.parties) as string[]).filter((n) => n !== this.config.id);
    await this.tellAbort(runId, others, `${this.config.id}: ${reason}`);
  }

  /** Approved proposals this node coordinates that never started (it was down): start them. */
  async resumeApproved(): Promise<void> {
    const ps = await this.db
      .selectFrom('proposals')
      .leftJoin('runs', 'runs.proposal_id', 'proposals.id')
      .select('proposals.id')
      .where('proposals.status', '=', 'approved')
      .where('runs.id', 'is', null)
      .execute();
    for (const p of ps)
      await this.startIfApproved(p.id).catch((e: Error) =>
        this.log(`proposal ${p.id}: ${e.message}`),
      );
  }

  approvals(proposalId: string): Promise<Approval[]> {
    return approvalsOf(this.db, proposalId);
  }

  /**
   * Sends this node's signed audit head to the run's other nodes and records
   * theirs: a node that later rewrites its history contradicts a head others hold.
   */
  async exchangeHeads(runId: string, parties: readonly string[]): Promise<void> {
    const head = await this.signedHead();
    await Promise.all(
      parties
        .filter((n) => n !== this.config.id)
        .map(async (n) => {
          const theirs = (await this.callPeer(n, 'POST', '/v1/federation/heads', {
            run: runId,
            ...head,
          })) as (AuditHead & { signature: string }) | undefined;
          if (theirs) await this.recordPeerHead(n, runId, theirs);
        }),
    );
  }

  async signedHead(): Promise<AuditHead & { signature: string; node: string }> {
    const h = await auditHead(this.db);
    return {
      ...h,
      node: this.config.id,
      signature: this.signer.sign(`${this.config.id}:${h.seq}:${h.hash}`),
    };
  }

  /** Stores a peer's head after checking its signature. @throws {GovernanceError} on a bad one. */
  async recordPeerHead(
    peer: string,
    runId: string,
    h: { seq: number; hash: string; signature: string },
  ): Promise<void> {
    if (!Number.isInteger(h.seq) || h.seq < 0 || !/^[0-9a-f]{64}$/.test(h.hash))
      throw new GovernanceError(`log head from ${peer}: malformed`, 400);
    if (!this.verifierOf(peer)(`${peer}:${h.seq}:${h.hash}`, h.signature))
      throw new GovernanceError(`log head from ${peer}: bad signature`, 403);
    await this.db
      .insertInto('peer_heads')
      .values({
        peer,
        seq: h.seq,
        hash: h.hash,
        signature: h.signature,
        run_id: runId,
        received_at: new Date().toISOString(),
      })
      .onConflict((c) => c.columns(['peer', 'seq']).doNothing())
      .execute();
  }

  /**
   * Asks each peer for the entries at the heads it gave this node earlier:
   * a different hash means that peer rewrote its history.
   */
  async checkPeerHeads(): Promise<{ peer: string; seq: number; ok: boolean; problem?: string }[]> {
    const heads = await this.db
      .selectFrom('peer_heads')
      .selectAll()
      .orderBy('peer')
      .orderBy('seq')
      .execute();
    const out: { peer: string; seq: number; ok: boolean; problem?: string }[] = [];
    for (const h of heads) {
      if (h.seq === 0) continue;
      try {
        const e = (await this.callPeer(h.peer, 'GET', `/v1/federation/audit/${h.seq}`)) as
          { hash?: string } | undefined;
        out.push(
          e?.hash === h.hash
            ? { peer: h.peer, seq: h.seq, ok: true }
            : {
                peer: h.peer,
                seq: h.seq,
                ok: false,
                problem: `entry ${h.seq} now has hash ${e?.hash?.slice(0, 16) ?? '(none)'}..., but it gave ${h.hash.slice(0, 16)}... at run ${h.run_id}`,
              },
        );
      } catch (e) {
        out.push({
          peer: h.peer,
          seq: h.seq,
          ok: false,
          problem: `unreachable: ${(e as Error).message}`,
        });
      }
    }
    return out;
  }

  /** Records a refused request (bad token, wrong role) in the audit log. */
  async auditRefusal(actor: string, body: Record<string, unknown>): Promise<void> {
    await appendAudit(this.db, this.signer, { kind: 'request.refused', actor, body });
  }

  async close(): Promise<void> {
    await this.runner.stopAll();
    await this.store.close();
  }
}
