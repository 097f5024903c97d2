/**
 * Runs: every run at this node with its state; live runs follow the node's
 * server-sent events (read with fetch, since EventSource cannot send the
 * token) and show progress per analysis; failed runs show their reason. New
 * runs appear by polling the list every few seconds.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, runEvents, type Proposal, type Run, type RunEvent } from '../api.js';
import { mayReadResults, type Session } from '../pages.js';
import { Badge, Show, Time, useApi, useInterval } from '../ui.js';

const LIVE = new Set(['queued', 'running']);
const RANK: Record<Run['state'], number> = { queued: 0, running: 1, released: 2, failed: 2 };

/** "analysis 2/3: Mean of ..." → where the run is, per analysis. */
export function analysisProgress(lines: readonly string[]): {
  total: number;
  current: number;
  titles: string[];
} {
  let total = 0;
  let current = 0;
  const titles: string[] = [];
  for (const l of lines) {
    const m = /analysis (\d+)\/(\d+):\s*(.*)$/.exec(l);
    if (!m) continue;
    current = Number(m[1]);
    total = Number(m[2]);
    titles[current - 1] = m[3]!;
  }
  return { total, current, titles };
}

function useLiveRun(initial: Run): Run {
  const [run, setRun] = useState(initial);
  // A newer listing replaces what the stream showed only when it is further along.
  useEffect(
    () =>
      setRun((r) =>
        r.id !== initial.id ||
        RANK[initial.state] > RANK[r.state] ||
        (initial.state === r.state && initial.progress.length > r.progress.length)
          ? initial
          : r,
      ),
    [initial],
  );
  const live = LIVE.has(run.state);
  useEffect(() => {
    if (!live) return;
    const stop = new AbortController();
    let attempts = 0;
    const follow = async () => {
      // A stream that ends before the run did (a proxy, a restart) is followed again, a few times.
      while (!stop.signal.aborted && attempts++ < 20) {
        try {
          await runEvents(
            initial.id,
            (name, e: RunEvent) => {
              setRun((r) => {
                if (name === 'state' && Array.isArray(e.progress)) return { ...r, ...(e as Run) };
                const progress = e.line ? [...r.progress, e.line].slice(-200) : r.progress;
                return { ...r, state: e.state, progress, reason: e.reason ?? r.reason };
              });
            },
            stop.signal,
          );
        } catch {
          if (stop.signal.aborted) return;
        }
        if (stop.signal.aborted) return;
        const now = await api<Run>(`/v1/runs/${encodeURIComponent(initial.id)}`).catch(
          () => undefined,
        );
        if (now) setRun(now);
        if (!now || !LIVE.has(now.state)) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void follow();
    return () => stop.abort();
  }, [initial.id, live]);
  return run;
}

function RunView({
  s,
  initial,
  proposal,
  focused,
}: {
  s: Session;
  initial: Run;
  proposal: Proposal | undefined;
  focused: boolean;
}) {
  const run = useLiveRun(initial);
  const p = analysisProgress(run.progress);
  const headingId = `run-${run.id}`;
  const live = LIVE.has(run.state);
  return (
    <section
      class={`card run${focused ? ' focused' : ''}`}
      aria-labelledby={headingId}
      data-run={run.id}
      data-state={run.state}
    >
      <h2 id={headingId}>
        {proposal?.study_name ?? 'Run'} <code>{run.id}</code>
      </h2>
      <p>
        State: <Badge state={run.state} /> · started <Time at={run.started_at} />
        {run.finished_at && (
          <>
            {' '}
            · ended <Time at={run.finished_at} />
          </>
        )}{' '}
        · proposal{' '}
        <a href={`#/proposals/${encodeURIComponent(run.proposal_id)}`}>{run.proposal_id}</a>
      </p>
      <div aria-live="polite" aria-atomic="false">
        {run.state === 'failed' && (
          <p class="error" data-reason>
            Failed: {run.reason ?? 'no reason recorded'}
          </p>
        )}
        {run.state === 'released' && (
          <p class="ok">
            Released.{' '}
            {mayReadResults(s.me) ? (
              <a href={`#/results/${encodeURIComponent(run.id)}`}>Read the results</a>
            ) : (
              'Your role does not read results.'
            )}
          </p>
        )}
        {p.total > 0 && (
          <>
            <label for={`progress-${run.id}`}>
              {run.state === 'released'
                ? `All ${p.total} analyses done`
                : `Analysis ${p.current} of ${p.total}${p.titles[p.current - 1] ? `: ${p.titles[p.current - 1]}` : ''}`}
            </label>
            <progress
              id={`progress-${run.id}`}
              max={p.total}
              value={run.state === 'released' ? p.total : Math.max(0, p.current - 1)}
            />
          </>
        )}
        {live && p.total === 0 && <p class="muted">{run.progress.at(-1) ?? 'Waiting to start…'}</p>}
      </div>
      {p.total > 0 && (
        <ol class="analyses">
          {p.titles.map((t, i) => (
            <li key={i}>
              {t}{' '}
              <span class="muted">
                {run.state === 'released' || i + 1 < p.current
                  ? '(done)'
                  : i + 1 === p.current
                    ? run.state === 'failed'
                      ? '(stopped)'
                      : '(running)'
                    : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
      {run.progress.length > 0 && (
        <details open={focused && live}>
          <summary>Progress log ({run.progress.length} lines)</summary>
          <ol class="log" tabIndex={0} aria-label={`Progress log of ${run.id}`}>
            {run.progress.map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

export function Runs({ s, focus }: { s: Session; focus: string | undefined }) {
  const runs = useApi<Run[]>('/v1/runs');
  const proposals = useApi<Proposal[]>('/v1/proposals');
  useInterval(() => {
    void runs.reload();
    if (runs.data?.some((r) => !proposals.data?.some((p) => p.id === r.proposal_id)))
      void proposals.reload();
  }, 3000);
  useEffect(() => {
    if (focus && runs.data?.some((r) => r.id === focus))
      document.querySelector(`[data-run="${CSS.escape(focus)}"]`)?.scrollIntoView();
  }, [focus, runs.data !== undefined]);
  return (
    <>
      <h1>Runs</h1>
      <p>
        Runs of approved studies at {s.node.name}, newest first. Live runs update as the node
        reports their progress.
      </p>
      <Show load={runs} what="runs">
        {(rs) =>
          rs.length === 0 ? (
            <p>No run yet. A study runs once every node it names approved it.</p>
          ) : (
            rs.map((r) => (
              <RunView
                key={r.id}
                s={s}
                initial={r}
                proposal={proposals.data?.find((p) => p.id === r.proposal_id)}
                focused={r.id === focus}
              />
            ))
          )
        }
      </Show>
    </>
  );
}
