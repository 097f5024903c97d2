/**
 * Overview: the node's datasets (schema, content hash, policy), their privacy
 * budget (spent, reserved, remaining, and each run's entries in the ledger),
 * proposals waiting for decisions, and the latest runs. Every role may read
 * all of it.
 */
import type { Dataset, LedgerEntry, Proposal, Run, SchemaColumn } from '../api.js';
import { budgetPlot, Chart } from '../charts.js';
import type { Session } from '../pages.js';
import { Badge, Hash, privacy, Show, Time, useApi } from '../ui.js';

function columnDetails(c: SchemaColumn): string {
  const parts: string[] = [];
  if (c.levels) parts.push(`levels ${c.levels.join(', ')}`);
  if (c.min !== undefined || c.max !== undefined) parts.push(`${c.min ?? '…'} to ${c.max ?? '…'}`);
  if (c.scale !== undefined) parts.push(`scale ${c.scale}`);
  if (c.missing) parts.push(`missing: ${c.missing}`);
  if (c.label) parts.push(`“${c.label}”`);
  return parts.join('; ');
}

function DatasetView({ d, ledger }: { d: Dataset; ledger: LedgerEntry[] }) {
  const cols = d.schema?.columns ?? [];
  const entries = ledger.filter((l) => l.dataset === d.name);
  const b = d.budget;
  return (
    <section class="card" aria-labelledby={`ds-${d.name}`}>
      <h3 id={`ds-${d.name}`}>
        Dataset <code>{d.name}</code>
      </h3>
      <dl class="facts">
        <dt>Records</dt>
        <dd>{d.rows.toLocaleString()}</dd>
        <dt>Format</dt>
        <dd>{d.format}</dd>
        <dt>Content hash (SHA-256)</dt>
        <dd>
          <Hash value={d.content_hash} full />
        </dd>
        <dt>Registered</dt>
        <dd>
          <Time at={d.registered_at} /> by {d.registered_by}
        </dd>
        <dt>Minimum cell size</dt>
        <dd>{d.min_cell_size ?? 'no policy'}</dd>
        <dt>Most epsilon per run</dt>
        <dd>{d.max_epsilon_per_run ?? 'no policy'}</dd>
      </dl>
      <table>
        <caption>Schema of {d.name}</caption>
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col">Values</th>
          </tr>
        </thead>
        <tbody>
          {cols.map((c) => (
            <tr key={c.name}>
              <th scope="row">
                <code>{c.name}</code>
              </th>
              <td>{c.type}</td>
              <td>{columnDetails(c)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Privacy budget</h4>
      {b ? (
        <>
          <table class="numbers" data-budget={d.name}>
            <caption>Privacy budget of {d.name} over all runs</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                <th scope="col">Total</th>
                <th scope="col">Spent</th>
                <th scope="col">Reserved</th>
                <th scope="col">Remaining</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">epsilon</th>
                <td>{privacy(b.epsilon_total)}</td>
                <td>{privacy(b.epsilon_spent)}</td>
                <td>{privacy(b.epsilon_reserved)}</td>
                <td>{privacy(b.epsilon_left)}</td>
              </tr>
              <tr>
                <th scope="row">delta</th>
                <td>{privacy(b.delta_total)}</td>
                <td>{privacy(b.delta_spent)}</td>
                <td>{privacy(b.delta_reserved)}</td>
                <td>{privacy(b.delta_left)}</td>
              </tr>
            </tbody>
          </table>
          <Chart
            kind="budget"
            data={b}
            draw={() => budgetPlot(d.name, b)}
            caption={`Epsilon of ${d.name}: spent, reserved by running studies, and remaining.`}
          />
        </>
      ) : (
        <p>No budget is set.</p>
      )}
      {entries.length > 0 ? (
        <table class="numbers">
          <caption>Budget entries of {d.name} per run (oldest first)</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Entry</th>
              <th scope="col">Epsilon</th>
              <th scope="col">Delta</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((l, i) => (
              <tr key={i}>
                <th scope="row">
                  <a href={`#/runs/${encodeURIComponent(l.run_id)}`}>{l.run_id}</a>
                </th>
                <td>{l.kind}</td>
                <td>{privacy(l.epsilon)}</td>
                <td>{privacy(l.delta)}</td>
                <td>
                  <Time at={l.at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No run has reserved or spent any of this budget yet.</p>
      )}
    </section>
  );
}

export function Overview({ s }: { s: Session }) {
  const datasets = useApi<Dataset[]>('/v1/datasets');
  const ledger = useApi<LedgerEntry[]>('/v1/ledger');
  const proposals = useApi<Proposal[]>('/v1/proposals');
  const runs = useApi<Run[]>('/v1/runs');
  const here = s.node.node;
  return (
    <>
      <h1>Overview of {s.node.name}</h1>
      <section aria-labelledby="pending">
        <h2 id="pending">Pending approvals</h2>
        <Show load={proposals} what="proposals">
          {(ps) => {
            const pending = ps.filter((p) => p.status === 'pending');
            if (pending.length === 0) return <p>No proposal is waiting for decisions.</p>;
            return (
              <ul class="list" data-list="pending">
                {pending.map((p) => {
                  const mine =
                    p.parties.includes(here) && !p.decisions.some((d) => d.node === here);
                  return (
                    <li key={p.id}>
                      <a href={`#/proposals/${encodeURIComponent(p.id)}`}>
                        {p.study_name} ({p.id})
                      </a>{' '}
                      by {p.proposer}, <Time at={p.created_at} />;{' '}
                      {p.decisions.filter((d) => d.decision === 'approve').length} of{' '}
                      {p.parties.length} nodes approved
                      {mine && (
                        <strong class="flag">
                          {s.me.role === 'owner'
                            ? ' — awaiting your decision'
                            : ` — awaiting ${here}'s decision`}
                        </strong>
                      )}
                    </li>
                  );
                })}
              </ul>
            );
          }}
        </Show>
      </section>
      <section aria-labelledby="recent-runs">
        <h2 id="recent-runs">Recent runs</h2>
        <Show load={runs} what="runs">
          {(rs) =>
            rs.length === 0 ? (
              <p>No study has run at this node yet.</p>
            ) : (
              <ul class="list">
                {rs.slice(0, 5).map((r) => (
                  <li key={r.id}>
                    <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>{' '}
                    <Badge state={r.state} /> started <Time at={r.started_at} />
                    {r.state === 'failed' && r.reason && <span>: {r.reason}</span>}
                  </li>
                ))}
              </ul>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="datasets">
        <h2 id="datasets">Datasets and privacy budgets</h2>
        <Show load={datasets} what="datasets">
          {(ds) =>
            ds.length === 0 ? (
              <p>No dataset is registered at this node.</p>
            ) : (
              ds.map((d) => <DatasetView key={d.name} d={d} ledger={ledger.data ?? []} />)
            )
          }
        </Show>
      </section>
    </>
  );
}
