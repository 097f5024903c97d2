/**
 * The Entente dashboard: one node's datasets, proposals, runs, results and
 * audit log in the browser, with the user's token. Hash routes (#/runs, ...);
 * what a page shows and fetches follows the user's role (pages.ts).
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  health,
  session,
  setUnauthorizedHandler,
  type Health,
  type Me,
} from './api.js';
import { allowed, PAGES, type PageId, type Session } from './pages.js';
import { Audit } from './pages/Audit.js';
import { Overview } from './pages/Overview.js';
import { ProposalList, ProposalReview } from './pages/Proposals.js';
import { ResultList, Results } from './pages/Results.js';
import { Runs } from './pages/Runs.js';
import { Settings } from './pages/Settings.js';
import { Loading } from './ui.js';
import './styles.css';

function parseHash(): string[] {
  return location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

function useRoute(): string[] {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const f = () => setRoute(parseHash());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return route;
}

function SignIn({
  node,
  notice,
  onSignedIn,
}: {
  node: Health | undefined;
  notice: string | undefined;
  onSignedIn: (me: Me, token: string) => void;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = token.trim();
      const me = await api<Me>('/v1/me', { token: t });
      onSignedIn(me, t);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The node refused this token (it is wrong, or its user was disabled).'
          : `Could not sign in: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <header class="top">
        <p class="brand">
          Entente <span class="muted">· {node ? `${node.name} (${node.node})` : 'party node'}</span>
        </p>
      </header>
      <main id="main" class="signin">
        <h1>Sign in{node ? ` to ${node.name}` : ''}</h1>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit}>
          <label for="token">Access token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            aria-describedby="token-help"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
          <p id="token-help" class="hint">
            The token your node's owner gave you (<code>ent_…</code>, also in your profile file). It
            is kept in this browser tab only and sent only to this node.
          </p>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      </main>
    </>
  );
}

function NotAllowed({ me, page }: { me: Me; page: string }) {
  return (
    <>
      <h1>Not available</h1>
      <p>
        The page “{page}” is not available to the {me.role} role. Nothing of it was loaded.
      </p>
      <p>
        <a href="#/">Back to the overview</a>
      </p>
    </>
  );
}

function Page({ s, route }: { s: Session; route: string[] }) {
  const [first = 'overview', id] = route;
  const page = PAGES.find((p) => p.id === first);
  if (!page)
    return (
      <>
        <h1>Page not found</h1>
        <p>
          There is no page “{first}”. <a href="#/">Back to the overview</a>
        </p>
      </>
    );
  if (!allowed(s.me.role, page.id)) return <NotAllowed me={s.me} page={page.label} />;
  switch (page.id as PageId) {
    case 'overview':
      return <Overview s={s} />;
    case 'proposals':
      return id ? <ProposalReview s={s} id={id} /> : <ProposalList s={s} />;
    case 'runs':
      return <Runs s={s} focus={id} />;
    case 'results':
      return id ? <Results s={s} id={id} /> : <ResultList s={s} />;
    case 'audit':
      return <Audit s={s} />;
    case 'settings':
      return <Settings s={s} />;
  }
}

function Layout({ s, route, onSignOut }: { s: Session; route: string[]; onSignOut: () => void }) {
  const main = useRef<HTMLElement>(null);
  const first = route[0] ?? 'overview';
  const key = route.join('/');
  const initial = useRef(true);
  useEffect(() => {
    const label = PAGES.find((p) => p.id === first)?.label ?? 'Not found';
    document.title = `${label} · ${s.node.name} · Entente`;
    // After navigating, start reading at the new page (not on the first load).
    if (initial.current) initial.current = false;
    else main.current?.focus();
  }, [key]);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <p class="brand">
          Entente <span class="muted">· {s.node.name}</span>{' '}
          <code class="node-id">{s.node.node}</code>
        </p>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((p) => allowed(s.me.role, p.id)).map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === first ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            Signed in as <strong>{s.me.name}</strong> ({s.me.role})
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page s={s} route={route} />
      </main>
      <footer>
        <p class="muted">
          Node {s.node.node} · storage {s.node.backend} ·{' '}
          <a href="/openapi.json">API description (OpenAPI)</a>
        </p>
      </footer>
    </>
  );
}

function App() {
  const [node, setNode] = useState<Health | undefined>(undefined);
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(session.token !== null);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const route = useRoute();

  const signOut = useCallback((why?: string) => {
    session.clear();
    setMe(null);
    setNotice(why);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => signOut('The node no longer accepts your token. Sign in again.'));
    health()
      .then(setNode)
      .catch(() => setNode(undefined));
    if (session.token)
      api<Me>('/v1/me')
        .then(setMe)
        .catch(() => session.clear())
        .finally(() => setChecking(false));
  }, [signOut]);

  if (checking)
    return (
      <main id="main">
        <h1>Entente</h1>
        <Loading what="your session" />
      </main>
    );
  if (!me || !node)
    return (
      <SignIn
        node={node}
        notice={notice}
        onSignedIn={(m, token) => {
          session.set(token);
          setNotice(undefined);
          setMe(m);
          if (!node) void health().then(setNode);
        }}
      />
    );
  return (
    <Layout
      s={{ me, node }}
      route={route}
      onSignOut={() => signOut('You signed out. Your token was removed from this tab.')}
    />
  );
}

render(<App />, document.getElementById('app')!);
