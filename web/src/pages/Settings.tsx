/**
 * Settings (owners only): the node's users (add one and show its token once,
 * disable one behind a confirmation) and each dataset's policy and budget
 * (minimum cell size, most epsilon per run, total epsilon and delta).
 */
import { useState } from 'preact/hooks';
import { api, type Dataset, type NewToken, type Role, type User } from '../api.js';
import type { Session } from '../pages.js';
import { ConfirmDialog, ErrorMessage, privacy, Show, Time, useApi } from '../ui.js';

function Users({ s }: { s: Session }) {
  const users = useApi<User[]>('/v1/users');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [created, setCreated] = useState<NewToken | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [disabling, setDisabling] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const t = await api<NewToken>('/v1/users', {
        method: 'POST',
        body: { name: name.trim(), role },
      });
      setCreated(t);
      setCopied(false);
      setName('');
      await users.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const disable = async () => {
    if (!disabling) return;
    setBusy(true);
    setError(undefined);
    try {
      await api(`/v1/users/${encodeURIComponent(disabling)}/disable`, { method: 'POST' });
      await users.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
      setDisabling(null);
    }
  };

  return (
    <section aria-labelledby="users">
      <h2 id="users">Users</h2>
      <Show load={users} what="users">
        {(us) => (
          <table data-table="users">
            <caption>Users of {s.node.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                <th scope="col">Token</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {us.map((u) => (
                <tr key={u.name} data-user={u.name}>
                  <th scope="row">{u.name}</th>
                  <td>{u.role}</td>
                  <td>
                    <Time at={u.created_at} />
                  </td>
                  <td>{u.disabled ? 'disabled' : 'valid'}</td>
                  <td>
                    {!u.disabled && u.name !== s.me.name && (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => setDisabling(u.name)}
                        aria-label={`Disable ${u.name}`}
                      >
                        Disable…
                      </button>
                    )}
                    {u.name === s.me.name && <span class="muted">you</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
      <form class="inline" onSubmit={add} aria-labelledby="add-user">
        <h3 id="add-user">Add a user</h3>
        <div>
          <label for="new-name">Name</label>
          <input
            id="new-name"
            required
            pattern="[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}"
            aria-describedby="new-name-help"
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          <span id="new-name-help" class="hint">
            Letters, digits and _.@- (up to 64)
          </span>
        </div>
        <div>
          <label for="new-role">Role</label>
          <select
            id="new-role"
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}
          >
            <option value="analyst">analyst: proposes studies, reads results</option>
            <option value="auditor">auditor: reads and verifies the audit log</option>
            <option value="owner">owner: datasets, decisions, users</option>
          </select>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Add user
          </button>
        </div>
      </form>
      {created && (
        <div class="token-once" role="alert" data-new-token>
          <p>
            <strong>
              {created.user.name} ({created.user.role}) was added. Its token is shown only this
              once:
            </strong>
          </p>
          <p>
            <label for="new-token">Token of {created.user.name}</label>
            <input id="new-token" readOnly value={created.token} size={70} />{' '}
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(created.token).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>{' '}
            <button type="button" onClick={() => setCreated(undefined)}>
              Done, hide it
            </button>
          </p>
          <p class="hint">
            Give it to {created.user.name} over a channel you trust. The node keeps only its hash.
          </p>
        </div>
      )}
      {error && <ErrorMessage error={error} />}
      <ConfirmDialog
        open={disabling !== null}
        busy={busy}
        title={`Disable ${disabling ?? ''}?`}
        confirmLabel="Confirm: disable"
        onConfirm={() => void disable()}
        onCancel={() => setDisabling(null)}
      >
        <p>
          {disabling}'s token stops working at once, and the change is recorded in the audit log. To
          give them access again, add a new user.
        </p>
      </ConfirmDialog>
    </section>
  );
}

const blankOr = (v: string): number | null => (v.trim() === '' ? null : Number(v));

function PolicyForm({ d, onSaved }: { d: Dataset; onSaved: (d: Dataset) => void }) {
  const [k, setK] = useState(d.min_cell_size === null ? '' : String(d.min_cell_size));
  const [maxEps, setMaxEps] = useState(
    d.max_epsilon_per_run === null ? '' : String(d.max_epsilon_per_run),
  );
  const [eps, setEps] = useState(d.budget ? String(d.budget.epsilon_total) : '');
  const [delta, setDelta] = useState(d.budget ? String(d.budget.delta_total) : '');
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const id = (x: string) => `${x}-${d.name}`;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const body = {
        maxEpsilonPerRun: blankOr(maxEps),
        minCellSize: blankOr(k),
        ...(eps.trim() !== '' && delta.trim() !== ''
          ? { budget: { epsilon: Number(eps), delta: Number(delta) } }
          : {}),
      };
      const out = await api<Dataset>(`/v1/datasets/${encodeURIComponent(d.name)}/policy`, {
        method: 'PUT',
        body,
      });
      setMessage(`Saved the policy of ${d.name}.`);
      onSaved(out);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={save} data-policy={d.name} aria-labelledby={id('policy')}>
      <h3 id={id('policy')}>
        Dataset <code>{d.name}</code>
      </h3>
      {d.budget && (
        <p class="muted">
          Spent so far: epsilon {privacy(d.budget.epsilon_spent)}, delta{' '}
          {privacy(d.budget.delta_spent)}; reserved by running studies: epsilon{' '}
          {privacy(d.budget.epsilon_reserved)}. The total cannot go below what is spent and
          reserved.
        </p>
      )}
      <fieldset>
        <legend>Policy for each run (blank: no limit)</legend>
        <label for={id('k')}>Minimum cell size a study must use</label>
        <input
          id={id('k')}
          type="number"
          min="0"
          step="1"
          value={k}
          onInput={(e) => setK((e.target as HTMLInputElement).value)}
        />
        <label for={id('maxeps')}>Most epsilon one run may spend</label>
        <input
          id={id('maxeps')}
          type="number"
          min="0"
          step="any"
          value={maxEps}
          onInput={(e) => setMaxEps((e.target as HTMLInputElement).value)}
        />
      </fieldset>
      <fieldset>
        <legend>Total privacy budget over all runs</legend>
        <label for={id('eps')}>Epsilon</label>
        <input
          id={id('eps')}
          type="number"
          min="0"
          step="any"
          required
          value={eps}
          onInput={(e) => setEps((e.target as HTMLInputElement).value)}
        />
        <label for={id('delta')}>Delta</label>
        <input
          id={id('delta')}
          type="number"
          min="0"
          max="1"
          step="any"
          required
          value={delta}
          onInput={(e) => setDelta((e.target as HTMLInputElement).value)}
        />
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save policy of {d.name}
        </button>
      </div>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {error && <ErrorMessage error={`Not saved: ${error}`} />}
    </form>
  );
}

export function Settings({ s }: { s: Session }) {
  const datasets = useApi<Dataset[]>('/v1/datasets');
  return (
    <>
      <h1>Settings of {s.node.name}</h1>
      <Users s={s} />
      <section aria-labelledby="policies">
        <h2 id="policies">Dataset policies and budgets</h2>
        <Show load={datasets} what="datasets">
          {(ds) =>
            ds.length === 0 ? (
              <p>No dataset is registered. Owners register datasets with the command line.</p>
            ) : (
              ds.map((d) => (
                <PolicyForm key={d.name} d={d} onSaved={() => void datasets.reload()} />
              ))
            )
          }
        </Show>
      </section>
    </>
  );
}
