/**
 * Proposals: the list, and the review of one proposal: exactly what it would
 * release (each analysis's values, cells, minimum cell size, epsilon and
 * delta, protection and notes, as the node itself computed from the study),
 * what changed since the version it supersedes, every named node's decision,
 * and for owners of a named node the decision itself, behind a confirmation
 * step that repeats the hash being approved.
 */
import { useState } from 'preact/hooks';
import {
  api,
  type Dataset,
  type Decision,
  type Diff,
  type Proposal,
  type ReleaseSummary,
} from '../api.js';
import { mayDecide, type Session } from '../pages.js';
import { Badge, ConfirmDialog, ErrorMessage, Hash, privacy, Show, Time, useApi } from '../ui.js';

export function ProposalList({ s }: { s: Session }) {
  const proposals = useApi<Proposal[]>('/v1/proposals');
  return (
    <>
      <h1>Proposals</h1>
      <p>
        Studies proposed to {s.node.name} and the nodes they name, newest first. Open one to read
        exactly what it would release.
      </p>
      <Show load={proposals} what="proposals">
        {(ps) =>
          ps.length === 0 ? (
            <p>No proposal yet.</p>
          ) : (
            <table>
              <caption>Proposals at {s.node.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Study</th>
                  <th scope="col">Status</th>
                  <th scope="col">Nodes</th>
                  <th scope="col">Approved by</th>
                  <th scope="col">Proposed by</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {ps.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">
                      <a href={`#/proposals/${encodeURIComponent(p.id)}`}>{p.study_name}</a>
                      <br />
                      <code class="muted">{p.id}</code>
                    </th>
                    <td>
                      <Badge state={p.status} />
                    </td>
                    <td>{p.parties.join(', ')}</td>
                    <td>
                      {p.decisions
                        .filter((d) => d.decision === 'approve')
                        .map((d) => d.node)
                        .join(', ') || 'none yet'}
                    </td>
                    <td>{p.proposer}</td>
                    <td>
                      <Time at={p.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

function SummaryTable({ summary }: { summary: ReleaseSummary }) {
  return (
    <table class="release" data-table="release">
      <caption>
        What one run would release: {summary.total.cells} values in {summary.analyses.length}{' '}
        analyses, spending epsilon {privacy(summary.total.epsilon)} and delta{' '}
        {privacy(summary.total.delta)} (minimum cell size k = {summary.minCellSize}).
      </caption>
      <thead>
        <tr>
          <th scope="col">Analysis</th>
          <th scope="col">Released values</th>
          <th scope="col">Cells</th>
          <th scope="col">k</th>
          <th scope="col">Epsilon</th>
          <th scope="col">Delta</th>
          <th scope="col">Protection</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        {summary.analyses.map((a) => (
          <tr key={a.id} data-analysis={a.id}>
            <th scope="row">
              {a.title}
              <br />
              <span class="muted">
                {a.type} · <code>{a.id}</code>
              </span>
            </th>
            <td>
              <ul class="outputs">
                {a.outputs.map((o, i) => (
                  <li key={i}>{o}</li>
                ))}
              </ul>
            </td>
            <td class="num">{a.cells}</td>
            <td class="num">{a.minCellSize ?? 'none'}</td>
            <td class="num">{privacy(a.epsilon)}</td>
            <td class="num">{privacy(a.delta)}</td>
            <td>{a.protection}</td>
            <td>
              <ul class="notes">
                {a.notes.map((n, i) => (
                  <li key={i}>{n}</li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Total</th>
          <td />
          <td class="num">{summary.total.cells}</td>
          <td class="num">{summary.minCellSize}</td>
          <td class="num">{privacy(summary.total.epsilon)}</td>
          <td class="num">{privacy(summary.total.delta)}</td>
          <td colSpan={2}>
            The study allows a run at most epsilon {privacy(summary.budget.epsilon)}, delta{' '}
            {privacy(summary.budget.delta)}.
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

function DiffView({ diff }: { diff: Diff }) {
  if (!diff.previous) return <p>This is the first version of the study: it supersedes nothing.</p>;
  const { added, removed, changed } = diff.analyses;
  const changedLines = diff.lines.filter((l) => l.op !== ' ').length;
  return (
    <>
      <p>
        Compared with{' '}
        <a href={`#/proposals/${encodeURIComponent(diff.previous)}`}>{diff.previous}</a>, the
        version this proposal supersedes: {changedLines} changed lines in the study file.
      </p>
      <ul data-list="diff-analyses">
        <li>Analyses added: {added.length ? added.join(', ') : 'none'}</li>
        <li>Analyses removed: {removed.length ? removed.join(', ') : 'none'}</li>
        <li>Analyses whose release changed: {changed.length ? changed.join(', ') : 'none'}</li>
      </ul>
      <div class="diff" role="region" aria-label="Changes to the study file" tabIndex={0}>
        <pre>
          {diff.lines.map((l, i) => (
            <span key={i} class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}>
              {l.op === '+' ? (
                <span class="sr-only">added: </span>
              ) : l.op === '-' ? (
                <span class="sr-only">removed: </span>
              ) : null}
              <span aria-hidden="true">{l.op === ' ' ? ' ' : l.op} </span>
              {l.text}
              {'\n'}
            </span>
          ))}
        </pre>
      </div>
    </>
  );
}

function DecisionsTable({ p }: { p: Proposal }) {
  const byNode = new Map<string, Decision>(p.decisions.map((d) => [d.node, d]));
  return (
    <table data-table="decisions">
      <caption>Decisions of the nodes this study names</caption>
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">Decision</th>
          <th scope="col">By</th>
          <th scope="col">When</th>
          <th scope="col">Reason or conditions</th>
        </tr>
      </thead>
      <tbody>
        {p.parties.map((node) => {
          const d = byNode.get(node);
          const conditions = Object.entries(d?.conditions ?? {}).filter(
            ([k]) => k !== 'datasetHash',
          );
          return (
            <tr key={node} data-node={node}>
              <th scope="row">{node}</th>
              <td>
                {d ? (
                  <Badge state={d.decision === 'approve' ? 'approved' : 'refused'} />
                ) : (
                  <span class="muted">awaiting</span>
                )}
              </td>
              <td>{d?.user_name ?? ''}</td>
              <td>{d ? <Time at={d.at} /> : ''}</td>
              <td>
                {d?.reason ?? ''}
                {conditions.length > 0 &&
                  conditions.map(([k, v]) => `${k} ${String(v)}`).join(', ')}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

type Pending = { kind: 'approve' } | { kind: 'refuse'; reason: string };

function DecisionForm({
  s,
  p,
  onDecided,
}: {
  s: Session;
  p: Proposal;
  onDecided: (message: string) => void;
}) {
  const datasets = useApi<Dataset[]>('/v1/datasets');
  const [maxEpsilon, setMaxEpsilon] = useState('');
  const [minCellSize, setMinCellSize] = useState('');
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const total = p.summary.total;

  const send = async () => {
    if (!pending) return;
    setBusy(true);
    setError(undefined);
    try {
      if (pending.kind === 'approve') {
        const conditions: Record<string, number> = {};
        if (maxEpsilon.trim() !== '') conditions.maxEpsilon = Number(maxEpsilon);
        if (minCellSize.trim() !== '') conditions.minCellSize = Number(minCellSize);
        await api(`/v1/proposals/${encodeURIComponent(p.id)}/approve`, {
          method: 'POST',
          body: { hash: p.hash, ...(Object.keys(conditions).length ? { conditions } : {}) },
        });
        onDecided(`${s.node.node} approved proposal ${p.id}.`);
      } else {
        await api(`/v1/proposals/${encodeURIComponent(p.id)}/refuse`, {
          method: 'POST',
          body: { hash: p.hash, reason: pending.reason },
        });
        onDecided(`${s.node.node} refused proposal ${p.id}.`);
      }
      setPending(null);
    } catch (e) {
      setError((e as Error).message);
      setPending(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="decide" class="card decide">
      <h2 id="decide">Your decision for {s.node.node}</h2>
      <p>
        You decide on this exact proposal: hash <Hash value={p.hash} full />. A changed study is a
        new proposal with a new hash.
      </p>
      {datasets.data && datasets.data.some((d) => d.budget) && (
        <ul>
          {datasets.data
            .filter((d) => d.budget)
            .map((d) => (
              <li key={d.name}>
                Dataset <code>{d.name}</code>: epsilon {privacy(d.budget!.epsilon_left)} remaining;
                this run would leave {privacy(d.budget!.epsilon_left - total.epsilon)} if it runs on
                it.
              </li>
            ))}
        </ul>
      )}
      <div class="columns">
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setPending({ kind: 'approve' });
          }}
        >
          <fieldset>
            <legend>Approve, optionally with conditions</legend>
            <label for="cond-eps">Approve only if it spends at most epsilon (optional)</label>
            <input
              id="cond-eps"
              type="number"
              min="0"
              step="any"
              inputMode="decimal"
              value={maxEpsilon}
              onInput={(e) => setMaxEpsilon((e.target as HTMLInputElement).value)}
            />
            <label for="cond-k">Approve only if its minimum cell size is at least (optional)</label>
            <input
              id="cond-k"
              type="number"
              min="0"
              step="1"
              inputMode="numeric"
              value={minCellSize}
              onInput={(e) => setMinCellSize((e.target as HTMLInputElement).value)}
            />
            <button type="submit" class="primary" data-action="approve">
              Approve…
            </button>
          </fieldset>
        </form>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setPending({ kind: 'refuse', reason: reason.trim() });
          }}
        >
          <fieldset>
            <legend>Refuse</legend>
            <label for="refuse-reason">Reason (sent to every node the study names)</label>
            <textarea
              id="refuse-reason"
              required
              maxLength={2000}
              rows={3}
              value={reason}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
            <button type="submit" class="danger" data-action="refuse">
              Refuse…
            </button>
          </fieldset>
        </form>
      </div>
      {error && <ErrorMessage error={`The node did not record your decision: ${error}`} />}
      <ConfirmDialog
        open={pending !== null}
        busy={busy}
        title={pending?.kind === 'refuse' ? 'Refuse this proposal?' : 'Approve this proposal?'}
        confirmLabel={pending?.kind === 'refuse' ? 'Confirm refusal' : 'Confirm approval'}
        onConfirm={() => void send()}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'refuse' ? (
          <p>
            {s.node.node} refuses “{p.study_name}” (hash <Hash value={p.hash} />) with the reason: “
            {pending.reason}”. The proposal is then refused at every node.
          </p>
        ) : (
          <p>
            {s.node.node} approves “{p.study_name}” (hash <Hash value={p.hash} />
            ). Once every named node approved it, it runs and releases {total.cells} values,
            spending epsilon {privacy(total.epsilon)} and delta {privacy(total.delta)} of this
            node's dataset
            {maxEpsilon || minCellSize
              ? `, if ${[maxEpsilon && `it spends at most epsilon ${maxEpsilon}`, minCellSize && `its minimum cell size is at least ${minCellSize}`].filter(Boolean).join(' and ')}`
              : ''}
            . Your decision is signed by this node and cannot be undone.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

export function ProposalReview({ s, id }: { s: Session; id: string }) {
  const path = `/v1/proposals/${encodeURIComponent(id)}`;
  const proposal = useApi<Proposal>(path);
  const diff = useApi<Diff>(`${path}/diff`);
  const [message, setMessage] = useState<string | undefined>(undefined);
  return (
    <Show load={proposal} what="the proposal">
      {(p) => {
        const here = s.node.node;
        const canDecide =
          mayDecide(s.me) &&
          p.status === 'pending' &&
          p.parties.includes(here) &&
          !p.decisions.some((d) => d.node === here);
        return (
          <>
            <h1>Proposal: {p.study_name}</h1>
            {message && (
              <p class="notice" role="status">
                {message}
              </p>
            )}
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{p.id}</code>
              </dd>
              <dt>Status</dt>
              <dd>
                <Badge state={p.status} />
              </dd>
              <dt>Hash</dt>
              <dd>
                <Hash value={p.hash} full />
              </dd>
              <dt>Suite</dt>
              <dd>{p.suite}</dd>
              <dt>Nodes</dt>
              <dd>{p.parties.join(', ')}</dd>
              <dt>Proposed by</dt>
              <dd>
                {p.proposer}, <Time at={p.created_at} />
              </dd>
              {p.supersedes && (
                <>
                  <dt>Supersedes</dt>
                  <dd>
                    <a href={`#/proposals/${encodeURIComponent(p.supersedes)}`}>{p.supersedes}</a>
                  </dd>
                </>
              )}
            </dl>
            <section aria-labelledby="release">
              <h2 id="release">What would be released</h2>
              <SummaryTable summary={p.summary} />
            </section>
            <section aria-labelledby="changes">
              <h2 id="changes">Changes since the earlier version</h2>
              <Show load={diff} what="the changes">
                {(d) => <DiffView diff={d} />}
              </Show>
            </section>
            <section aria-labelledby="decisions">
              <h2 id="decisions">Decisions</h2>
              <DecisionsTable p={p} />
            </section>
            {canDecide && (
              <DecisionForm
                s={s}
                p={p}
                onDecided={(m) => {
                  setMessage(m);
                  void proposal.reload();
                }}
              />
            )}
            <section aria-labelledby="study-file">
              <h2 id="study-file">Study file</h2>
              <details>
                <summary>Show the study file as proposed</summary>
                <pre class="study" tabIndex={0}>
                  {p.study ?? ''}
                </pre>
              </details>
            </section>
          </>
        );
      }}
    </Show>
  );
}
