/**
 * Proposals, approvals and the privacy-budget ledger.
 *
 * An analyst proposes a study naming datasets at several nodes. The proposal
 * is immutable and identified by its hash; the nodes it names each hold a
 * copy. Each node's owner approves or refuses that hash, possibly with
 * conditions (a largest epsilon, a smallest cell); the node signs its decision
 * with its key and sends it to the other nodes. A run starts only when every
 * named node approved the same hash. Changing a study means proposing it
 * again (`supersedes`), which needs new approvals.
 *
 * The ledger holds, per dataset, the owner's total budget and what runs spent
 * or hold. A run reserves its spend before computing (row lock on the
 * dataset's budget, so two runs cannot both take the last of it), charges it
 * in the transaction that records the release, and returns it if it fails:
 * nothing is charged for what was not released.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { canonicalJson } from '../adapters/node/net/federation.js';
import { SpecError } from '../analytics/data/errors.js';
import { parseStudyText } from '../analytics/study/parse.js';
import { releaseSummary, type ReleaseSummary } from '../analytics/study/release.js';
import { spend, type Study } from '../analytics/study/spec.js';
import { SUITES } from '../suites/index.js';
import { appendAudit } from './audit.js';
import { checkedDataset, schemaText } from './datasets.js';
import type { Signer, Verifier } from './signer.js';
import type { Approval, NodeDb, Proposal, Schema, User } from './store/schema.js';

/** A proposal, approval or run that may not go ahead: a 4xx (409 or 422) naming why. */
export class GovernanceError extends Error {
  override readonly name: string = 'GovernanceError';
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 | 422 = 422,
  ) {
    super(message);
  }
}

export interface Conditions {
  /** The owner allows at most this epsilon for the whole run. */
  readonly maxEpsilon?: number;
  /** The owner requires every released cell to have at least this many records. */
  readonly minCellSize?: number;
}

/** The fields a proposal's hash covers (everything but its status). */
function hashedFields(p: Omit<Proposal, 'hash' | 'status' | 'summary'>): string {
  return canonicalJson({
    id: p.id,
    study_name: p.study_name,
    study_text: p.study_text,
    suite: p.suite,
    parties: p.parties,
    proposer_node: p.proposer_node,
    proposer_user: p.proposer_user,
    supersedes: p.supersedes,
    created_at: p.created_at,
  });
}

/** What an owner reviews: the release summary, with the suite the run will actually use. */
function summaryOf(study: Study, suite: string): string {
  return JSON.stringify({ ...releaseSummary(study), suite });
}

export function proposalHash(p: Omit<Proposal, 'hash' | 'status' | 'summary'>): string {
  return createHash('sha256').update(hashedFields(p)).digest('hex');
}

/**
 * Parses a proposal's study. @throws {GovernanceError} naming the field and line.
 */
export function proposalStudy(text: string, knownNodes: readonly string[]): Study {
  let study: Study;
  try {
    study = parseStudyText(text, 'study', { knownSuites: Object.keys(SUITES) });
  } catch (e) {
    if (e instanceof SpecError) throw new GovernanceError(e.message, 400);
    throw e;
  }
  const unknown = study.parties.filter((p) => !knownNodes.includes(p.id)).map((p) => p.id);
  if (unknown.length > 0)
    throw new GovernanceError(
      `parties: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a node' : 'are not nodes'} of this federation (nodes: ${knownNodes.join(', ')})`,
    );
  // A node computes only on datasets its owner registered (and approves by
  // name); a query in a proposal would let the proposer choose what is read.
  const queried = study.parties.findIndex((p) => p.query !== undefined);
  if (queried >= 0)
    throw new GovernanceError(
      `parties[${queried}].query: a party node reads only registered datasets; name one in data (the owner can register a Parquet file: entente dataset add)`,
      400,
    );
  return study;
}

export interface ProposalInput {
  readonly studyText: string;
  readonly suite?: string;
  readonly supersedes?: string;
}

/**
 * Records a new proposal made at this node by an analyst.
 * @throws {GovernanceError} for a bad study, suite or superseded id.
 */
export async function createProposal(
  db: NodeDb,
  signer: Signer,
  nodes: readonly string[],
  user: User,
  input: ProposalInput,
): Promise<Proposal> {
  const study = proposalStudy(input.studyText, nodes);
  const suite = input.suite ?? study.suite ?? 'rep3';
  const factory = SUITES[suite];
  if (!factory) throw new GovernanceError(`suite: unknown suite '${suite}'`, 400);
  if (suite === 'plaintext')
    throw new GovernanceError(
      "suite: 'plaintext' computes in the clear (for tests); a node runs only secure suites",
      400,
    );
  if (study.parties.length < factory.minParties || study.parties.length > factory.maxParties)
    throw new GovernanceError(
      `suite ${suite} needs ${factory.minParties}..${factory.maxParties} parties; the study names ${study.parties.length}`,
    );
  if (input.supersedes !== undefined) {
    const old = await db
      .selectFrom('proposals')
      .select('id')
      .where('id', '=', input.supersedes)
      .executeTakeFirst();
    if (!old) throw new GovernanceError(`supersedes: no proposal '${input.supersedes}'`, 404);
  }
  const base = {
    id: `p-${randomBytes(6).toString('hex')}`,
    study_name: study.name,
    study_text: input.studyText,
    suite,
    parties: JSON.stringify(study.parties.map((p) => p.id)),
    proposer_node: signer.nodeId,
    proposer_user: user.name,
    supersedes: input.supersedes ?? null,
    created_at: new Date().toISOString(),
  };
  const proposal: Proposal = {
    ...base,
    hash: proposalHash(base),
    summary: summaryOf(study, suite),
    status: 'pending',
  };
  await storeProposal(db, signer, proposal, `user:${user.name}`);
  return proposal;
}

/**
 * Stores a proposal received from another node, after checking its hash.
 * Receiving the same proposal twice is harmless.
 * @throws {GovernanceError} when the hash does not match its content.
 */
export async function receiveProposal(
  db: NodeDb,
  signer: Signer,
  nodes: readonly string[],
  from: string,
  p: Proposal,
): Promise<void> {
  if (proposalHash(p) !== p.hash)
    throw new GovernanceError(`proposal ${p.id}: its hash does not match its content`, 400);
  if (p.proposer_node !== from)
    throw new GovernanceError(
      `proposal ${p.id}: sent by ${from}, but it names ${p.proposer_node} as proposer`,
      403,
    );
  const study = proposalStudy(p.study_text, nodes);
  const seen = await db
    .selectFrom('proposals')
    .select('hash')
    .where('id', '=', p.id)
    .executeTakeFirst();
  if (seen) {
    if (seen.hash !== p.hash)
      throw new GovernanceError(`proposal ${p.id} exists with another hash`, 409);
    return;
  }
  // The summary is recomputed here, never taken from the sender.
  await storeProposal(
    db,
    signer,
    { ...p, summary: summaryOf(study, p.suite), status: 'pending' },
    `node:${from}`,
  );
}

async function storeProposal(
  db: NodeDb,
  signer: Signer,
  p: Proposal,
  actor: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('proposals').values(p).execute();
    if (p.supersedes)
      await tx
        .updateTable('proposals')
        .set({ status: 'superseded' })
        .where('id', '=', p.supersedes)
        .where('status', '=', 'pending')
        .execute();
    await appendAudit(tx, signer, {
      kind: 'proposal.recorded',
      actor,
      body: {
        proposal: p.id,
        hash: p.hash,
        study: p.study_name,
        suite: p.suite,
        parties: JSON.parse(p.parties) as unknown,
        proposer: `${p.proposer_user}@${p.proposer_node}`,
        supersedes: p.supersedes,
      },
    });
  });
}

export async function getProposal(db: NodeDb | Transaction<Schema>, id: string): Promise<Proposal> {
  const p = await db.selectFrom('proposals').selectAll().where('id', '=', id).executeTakeFirst();
  if (!p) throw new GovernanceError(`no proposal '${id}'`, 404);
  return p;
}

/** What the node signs for a decision. */
function decisionText(a: Omit<Approval, 'signature'>): string {
  return canonicalJson({
    proposal_id: a.proposal_id,
    node: a.node,
    decision: a.decision,
    reason: a.reason,
    conditions: a.conditions,
    hash: a.hash,
    user_name: a.user_name,
    at: a.at,
  });
}

export interface DecisionInput {
  readonly proposalId: string;
  /** The hash the owner reviewed: a decision on anything else is refused. */
  readonly hash: string;
  readonly decision: 'approve' | 'refuse';
  readonly reason?: string;
  readonly conditions?: Conditions;
}

/** The dataset this node contributes to a proposal's study, if any (its `data` names it). */
export function ownDatasetName(study: Study, nodeId: string): string | undefined {
  return study.parties.find((p) => p.id === nodeId)?.data;
}

/**
 * Checks that this node may approve: its dataset unchanged and matching the
 * study's schema, the owner's policy and conditions, and enough budget left.
 * @throws {GovernanceError} naming what does not hold.
 */
export async function checkApprovable(
  db: NodeDb,
  nodeId: string,
  p: Proposal,
  conditions: Conditions = {},
): Promise<void> {
  const study = proposalStudy(p.study_text, JSON.parse(p.parties) as string[]);
  const cost = spend(study.analyses);
  if (conditions.maxEpsilon !== undefined && cost.epsilon > conditions.maxEpsilon)
    throw new GovernanceError(
      `condition maxEpsilon ${conditions.maxEpsilon}: the study spends epsilon ${cost.epsilon}`,
    );
  if (conditions.minCellSize !== undefined && study.privacy.minCellSize < conditions.minCellSize)
    throw new GovernanceError(
      `condition minCellSize ${conditions.minCellSize}: the study suppresses only cells under ${study.privacy.minCellSize}`,
    );
  const name = ownDatasetName(study, nodeId);
  if (name === undefined) return;
  let d;
  try {
    d = await checkedDataset(db, name);
  } catch (e) {
    throw new GovernanceError((e as Error).message);
  }
  const format = study.parties.find((x) => x.id === nodeId)?.format;
  if (format !== undefined && format !== d.format)
    throw new GovernanceError(
      `dataset '${name}' is ${d.format}, but the study reads it as ${format}`,
    );
  if (schemaText(study.schema) !== d.schema_json)
    throw new GovernanceError(
      `dataset '${name}': the study's schema differs from the schema the dataset was registered with`,
    );
  if (d.max_epsilon_per_run !== null && cost.epsilon > d.max_epsilon_per_run)
    throw new GovernanceError(
      `dataset '${name}': policy allows epsilon ${d.max_epsilon_per_run} per run; the study spends ${cost.epsilon}`,
    );
  if (d.min_cell_size !== null && study.privacy.minCellSize < d.min_cell_size)
    throw new GovernanceError(
      `dataset '${name}': policy requires cells of at least ${d.min_cell_size}; the study's minCellSize is ${study.privacy.minCellSize}`,
    );
  const b = await db
    .selectFrom('budgets')
    .selectAll()
    .where('dataset', '=', name)
    .executeTakeFirstOrThrow();
  if (b.epsilon_spent + b.epsilon_reserved + cost.epsilon > b.epsilon_total * (1 + 1e-9) + 1e-12)
    throw new GovernanceError(
      `dataset '${name}': the study spends epsilon ${cost.epsilon}, but only ${Math.max(0, b.epsilon_total - b.epsilon_spent - b.epsilon_reserved)} of ${b.epsilon_total} is left`,
    );
}

/**
 * Records this node's decision on a proposal, signed by the node.
 * @returns the signed approval, to be sent to the other nodes.
 * @throws {GovernanceError} for a stale hash, a decided proposal, or an approval that may not be given.
 */
export async function decide(
  db: NodeDb,
  signer: Signer,
  user: User,
  input: DecisionInput,
): Promise<Approval> {
  const p = await getProposal(db, input.proposalId);
  if (p.hash !== input.hash)
    throw new GovernanceError(
      `proposal ${p.id} has hash ${p.hash.slice(0, 16)}..., not the ${input.hash.slice(0, 16)}... you reviewed`,
      409,
    );
  if (p.status !== 'pending')
    throw new GovernanceError(
      `proposal ${p.id} is ${p.status}; only pending proposals are decided`,
      409,
    );
  const parties = JSON.parse(p.parties) as string[];
  if (!parties.includes(signer.nodeId))
    throw new GovernanceError(`proposal ${p.id} does not name this node (${signer.nodeId})`, 403);
  const mine = await db
    .selectFrom('approvals')
    .select('decision')
    .where('proposal_id', '=', p.id)
    .where('node', '=', signer.nodeId)
    .executeTakeFirst();
  if (mine)
    throw new GovernanceError(`this node already decided on ${p.id} (${mine.decision})`, 409);
  if (input.decision === 'refuse' && !input.reason?.trim())
    throw new GovernanceError('reason: a refusal needs a reason', 400);
  if (input.decision === 'approve') await checkApprovable(db, signer.nodeId, p, input.conditions);
  // An approval names the version of the data it was given for; a run refuses any other.
  const name = ownDatasetName(proposalStudy(p.study_text, parties), signer.nodeId);
  const dataset =
    input.decision === 'approve' && name !== undefined
      ? await db
          .selectFrom('datasets')
          .select('content_hash')
          .where('name', '=', name)
          .executeTakeFirst()
      : undefined;
  const unsigned: Omit<Approval, 'signature'> = {
    proposal_id: p.id,
    node: signer.nodeId,
    decision: input.decision,
    reason: input.reason ?? null,
    conditions: canonicalJson({
      ...input.conditions,
      ...(dataset ? { dataset: name, datasetHash: dataset.content_hash } : {}),
    }),
    hash: p.hash,
    user_name: user.name,
    at: new Date().toISOString(),
  };
  const approval: Approval = { ...unsigned, signature: signer.sign(decisionText(unsigned)) };
  await storeApproval(db, signer, approval, `user:${user.name}`);
  return approval;
}

/**
 * Stores a decision received from another node, after checking its signature
 * with that node's pinned certificate.
 */
export async function receiveApproval(
  db: NodeDb,
  signer: Signer,
  from: string,
  verify: Verifier,
  a: Approval,
): Promise<void> {
  // `verify` checks the deciding node's signature; `from` may be another node
  // relaying it (sync), which cannot forge it.
  const { signature, ...unsigned } = a;
  if (!verify(decisionText(unsigned), signature))
    throw new GovernanceError(`decision of ${a.node} on ${a.proposal_id}: bad signature`, 403);
  const p = await getProposal(db, a.proposal_id);
  if (!(JSON.parse(p.parties) as string[]).includes(a.node))
    throw new GovernanceError(`proposal ${p.id} does not name ${a.node}`, 403);
  const seen = await db
    .selectFrom('approvals')
    .select('hash')
    .where('proposal_id', '=', a.proposal_id)
    .where('node', '=', a.node)
    .executeTakeFirst();
  if (seen) return;
  await storeApproval(
    db,
    signer,
    a,
    a.node === from ? `node:${from}` : `node:${from} (relaying ${a.node})`,
  );
}

async function storeApproval(
  db: NodeDb,
  signer: Signer,
  a: Approval,
  actor: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    // Decisions on one proposal are stored one at a time (row lock), so the one
    // that completes the set sees every other: with concurrent transactions each
    // would otherwise miss the other's uncommitted row and none would mark it approved.
    await tx
      .selectFrom('proposals')
      .select('id')
      .where('id', '=', a.proposal_id)
      .forUpdate()
      .execute();
    await tx.insertInto('approvals').values(a).execute();
    const p = await getProposal(tx, a.proposal_id);
    let status = p.status;
    if (a.decision === 'refuse' && a.hash === p.hash) status = 'refused';
    else if (await complete(tx, p)) status = 'approved';
    if (status !== p.status)
      await tx.updateTable('proposals').set({ status }).where('id', '=', p.id).execute();
    await appendAudit(tx, signer, {
      kind: a.decision === 'approve' ? 'proposal.approved' : 'proposal.refused',
      actor,
      body: {
        proposal: a.proposal_id,
        hash: a.hash,
        node: a.node,
        by: a.user_name,
        reason: a.reason,
        conditions: JSON.parse(a.conditions) as unknown,
        status,
      },
    });
  });
}

/** Every node the proposal names approved its current hash. */
async function complete(db: NodeDb | Transaction<Schema>, p: Proposal): Promise<boolean> {
  const parties = JSON.parse(p.parties) as string[];
  const rows = await db
    .selectFrom('approvals')
    .select(['node', 'decision', 'hash'])
    .where('proposal_id', '=', p.id)
    .execute();
  return parties.every((n) =>
    rows.some((r) => r.node === n && r.decision === 'approve' && r.hash === p.hash),
  );
}

export async function approvalsOf(db: NodeDb, proposalId: string): Promise<Approval[]> {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('proposal_id', '=', proposalId)
    .orderBy('at')
    .execute();
}

export function parseSummary(p: Proposal): ReleaseSummary {
  return JSON.parse(p.summary) as ReleaseSummary;
}

/** Not enough budget left for a run: nothing computed, nothing charged. */
export class BudgetExceeded extends GovernanceError {
  override readonly name = 'BudgetExceeded';
}

type Tx = Transaction<Schema>;

/**
 * Holds a run's spend on a dataset. Locks the dataset's budget row, so of two
 * runs racing for the last of a budget exactly one gets it.
 * @throws {BudgetExceeded} when the spend does not fit.
 */
export async function reserveBudget(
  tx: Tx,
  dataset: string,
  runId: string,
  cost: { epsilon: number; delta: number },
): Promise<void> {
  const b = await tx
    .selectFrom('budgets')
    .selectAll()
    .where('dataset', '=', dataset)
    .forUpdate()
    .executeTakeFirst();
  if (!b) throw new GovernanceError(`dataset '${dataset}' has no budget`, 404);
  const eps = b.epsilon_spent + b.epsilon_reserved + cost.epsilon;
  const del = b.delta_spent + b.delta_reserved + cost.delta;
  if (eps > b.epsilon_total * (1 + 1e-9) + 1e-12 || del > b.delta_total * (1 + 1e-9) + 1e-18)
    throw new BudgetExceeded(
      `dataset '${dataset}': run ${runId} needs epsilon ${cost.epsilon}, delta ${cost.delta}; left: epsilon ${Math.max(0, b.epsilon_total - b.epsilon_spent - b.epsilon_reserved)}, delta ${Math.max(0, b.delta_total - b.delta_spent - b.delta_reserved)}`,
      409,
    );
  await tx
    .updateTable('budgets')
    .set({
      epsilon_reserved: b.epsilon_reserved + cost.epsilon,
      delta_reserved: b.delta_reserved + cost.delta,
    })
    .where('dataset', '=', dataset)
    .execute();
  await tx
    .insertInto('ledger')
    .values({ dataset, run_id: runId, kind: 'reserve', ...cost, at: new Date().toISOString() })
    .execute();
}

/** What a run holds on a dataset (reserved and not yet charged or returned). */
async function held(
  tx: Tx,
  dataset: string,
  runId: string,
): Promise<{ epsilon: number; delta: number }> {
  const rows = await tx
    .selectFrom('ledger')
    .select(['kind', 'epsilon', 'delta'])
    .where('dataset', '=', dataset)
    .where('run_id', '=', runId)
    .execute();
  let epsilon = 0;
  let delta = 0;
  for (const r of rows) {
    const s = r.kind === 'reserve' ? 1 : -1;
    epsilon += s * r.epsilon;
    delta += s * r.delta;
  }
  return { epsilon: Math.max(0, epsilon), delta: Math.max(0, delta) };
}

/** Turns a run's reservation into spend, in the transaction that records its release. */
export async function chargeBudget(
  tx: Tx,
  dataset: string,
  runId: string,
): Promise<{ epsilon: number; delta: number }> {
  return settle(tx, dataset, runId, 'charge');
}

/** Gives a failed run's reservation back. */
export async function returnBudget(
  tx: Tx,
  dataset: string,
  runId: string,
): Promise<{ epsilon: number; delta: number }> {
  return settle(tx, dataset, runId, 'return');
}

async function settle(tx: Tx, dataset: string, runId: string, kind: 'charge' | 'return') {
  const b = await tx
    .selectFrom('budgets')
    .selectAll()
    .where('dataset', '=', dataset)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const h = await held(tx, dataset, runId);
  if (h.epsilon === 0 && h.delta === 0) return h;
  await tx
    .updateTable('budgets')
    .set({
      epsilon_reserved: Math.max(0, b.epsilon_reserved - h.epsilon),
      delta_reserved: Math.max(0, b.delta_reserved - h.delta),
      ...(kind === 'charge'
        ? { epsilon_spent: b.epsilon_spent + h.epsilon, delta_spent: b.delta_spent + h.delta }
        : {}),
    })
    .where('dataset', '=', dataset)
    .execute();
  await tx
    .insertInto('ledger')
    .values({ dataset, run_id: runId, kind, ...h, at: new Date().toISOString() })
    .execute();
  return h;
}
