/**
 * Audit log (auditors and owners): the node's verdict on its hash-chained,
 * signed log and on the heads its peers hold (GET /v1/audit/verify, again on
 * "Re-verify"), and the entries, filtered by kind, actor and run on the node.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEntry, type Verdict } from '../api.js';
import type { Session } from '../pages.js';
import { ErrorMessage, Hash, Show, Time, useApi } from '../ui.js';

const KINDS = [
  'user.added',
  'user.disabled',
  'dataset.registered',
  'dataset.policy',
  'proposal.recorded',
  'proposal.approved',
  'proposal.refused',
  'run.queued',
  'run.released',
  'run.failed',
  'request.refused',
];

const PAGE = 200;

interface Filters {
  kind: string;
  actor: string;
  run: string;
}

function query(f: Filters, after = 0): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (after > 0) q.set('after', String(after));
  if (f.kind) q.set('kind', f.kind);
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.run.trim()) q.set('run', f.run.trim());
  return `/v1/audit?${q}`;
}

function VerdictView({ v, checkedAt }: { v: Verdict; checkedAt: string }) {
  return (
    <div class={v.ok ? 'verdict ok' : 'verdict failed'} data-verdict={v.ok ? 'ok' : 'failed'}>
      <p>
        <strong>{v.ok ? 'Verified' : 'Verification FAILED'}</strong>:{' '}
        {v.firstBad
          ? `entry ${v.firstBad.seq} fails: ${v.firstBad.problem}.`
          : `the chain of ${v.entries} entries and their signatures check out (head ${v.head.seq}).`}{' '}
        <span class="muted">
          Checked <Time at={checkedAt} />.
        </span>
      </p>
      {v.peers.length > 0 && (
        <table>
          <caption>Log heads this node gave its peers, as each peer holds them</caption>
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">At entry</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {v.peers.map((p, i) => (
              <tr key={i}>
                <th scope="row">{p.peer}</th>
                <td class="num">{p.seq}</td>
                <td>{p.ok ? 'matches' : `does not match: ${p.problem ?? 'unknown problem'}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function summary(body: unknown): string {
  if (!body || typeof body !== 'object') return String(body ?? '');
  const b = body as Record<string, unknown>;
  const keys = [
    'name',
    'role',
    'id',
    'proposal',
    'run',
    'decision',
    'status',
    'reason',
    'why',
    'path',
  ];
  return keys
    .filter((k) => b[k] !== undefined && b[k] !== null && typeof b[k] !== 'object')
    .map((k) => `${k}: ${String(b[k])}`)
    .join(', ');
}

export function Audit({ s }: { s: Session }) {
  const [verdict, setVerdict] = useState<{ v: Verdict; at: string } | undefined>(undefined);
  const [verifying, setVerifying] = useState(false);
  const [verifyError, setVerifyError] = useState<string | undefined>(undefined);
  const [draft, setDraft] = useState<Filters>({ kind: '', actor: '', run: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const first = useApi<AuditEntry[]>(query(filters));
  const [more, setMore] = useState<AuditEntry[]>([]);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);

  const verify = async () => {
    setVerifying(true);
    setVerifyError(undefined);
    try {
      const v = await api<Verdict>('/v1/audit/verify');
      setVerdict({ v, at: new Date().toISOString() });
    } catch (e) {
      setVerifyError((e as Error).message);
    } finally {
      setVerifying(false);
    }
  };
  useEffect(() => {
    void verify();
  }, []);

  const entries = [...(first.data ?? []), ...more];
  const loadMore = async () => {
    const last = entries.at(-1)?.seq ?? 0;
    try {
      const next = await api<AuditEntry[]>(query(filters, last));
      setMore((m) => [...m, ...next]);
      setMoreError(undefined);
    } catch (e) {
      setMoreError((e as Error).message);
    }
  };

  return (
    <>
      <h1>Audit log of {s.node.name}</h1>
      <section aria-labelledby="verification">
        <h2 id="verification">Verification</h2>
        <div role="status" aria-live="polite" aria-busy={verifying}>
          {verifying && (
            <p class="muted">Verifying the chain, the signatures and the peers' heads…</p>
          )}
          {!verifying && verdict && <VerdictView v={verdict.v} checkedAt={verdict.at} />}
        </div>
        {verifyError && <ErrorMessage error={`Could not verify: ${verifyError}`} />}
        <button
          type="button"
          onClick={() => {
            void verify();
            setMore([]);
            void first.reload();
          }}
          disabled={verifying}
        >
          Re-verify
        </button>
      </section>
      <section aria-labelledby="entries">
        <h2 id="entries">Entries</h2>
        <form
          class="filters"
          aria-label="Filter the entries"
          onSubmit={(e) => {
            e.preventDefault();
            setMore([]);
            setFilters({ ...draft });
          }}
        >
          <div>
            <label for="f-kind">Kind</label>
            <select
              id="f-kind"
              value={draft.kind}
              onChange={(e) => setDraft({ ...draft, kind: (e.target as HTMLSelectElement).value })}
            >
              <option value="">any kind</option>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-actor">User or actor</label>
            <input
              id="f-actor"
              type="text"
              placeholder="user:alice, node:hospital-b"
              aria-describedby="f-actor-help"
              value={draft.actor}
              onInput={(e) => setDraft({ ...draft, actor: (e.target as HTMLInputElement).value })}
            />
            <span id="f-actor-help" class="hint">
              Exact match, e.g. user:alice
            </span>
          </div>
          <div>
            <label for="f-run">Run</label>
            <input
              id="f-run"
              type="text"
              placeholder="r-…"
              pattern="r-[0-9a-f]+"
              value={draft.run}
              onInput={(e) => setDraft({ ...draft, run: (e.target as HTMLInputElement).value })}
            />
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              Apply filters
            </button>
            <button
              type="button"
              onClick={() => {
                const none = { kind: '', actor: '', run: '' };
                setDraft(none);
                setMore([]);
                setFilters(none);
              }}
            >
              Clear
            </button>
          </div>
        </form>
        <Show load={first} what="the audit log">
          {() =>
            entries.length === 0 ? (
              <p>No entry matches.</p>
            ) : (
              <>
                <table data-table="audit">
                  <caption>
                    {entries.length} entries, oldest first
                    {filters.kind || filters.actor || filters.run
                      ? ` (${[
                          filters.kind && `kind ${filters.kind}`,
                          filters.actor && `actor ${filters.actor}`,
                          filters.run && `run ${filters.run}`,
                        ]
                          .filter(Boolean)
                          .join(', ')})`
                      : ''}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Entry</th>
                      <th scope="col">When</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {entries.map((e) => (
                      <tr key={e.seq} data-kind={e.kind}>
                        <th scope="row" class="num">
                          {e.seq}
                        </th>
                        <td>
                          <Time at={e.at} />
                        </td>
                        <td>{e.kind}</td>
                        <td>{e.actor}</td>
                        <td>
                          {summary(e.body)}
                          <details>
                            <summary>
                              Entry {e.seq} in full (hash <Hash value={e.hash} />)
                            </summary>
                            <pre tabIndex={0}>{JSON.stringify(e, null, 2)}</pre>
                          </details>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {(first.data?.length ?? 0) + more.length >= PAGE &&
                  (more.length === 0 || more.length % PAGE === 0) && (
                    <button type="button" onClick={() => void loadMore()}>
                      Load more entries
                    </button>
                  )}
                {moreError && <ErrorMessage error={moreError} />}
              </>
            )
          }
        </Show>
      </section>
    </>
  );
}
