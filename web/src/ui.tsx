/** Small shared pieces: data loading, messages, dates, a confirmation dialog. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

export { formatNumber } from '../../src/analytics/study/report.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads an API path (null: load nothing, e.g. when the role may not read it).
 * The previous data of the same path stays shown while reloading; data of
 * another path is never shown (so a page never shows one filter's rows under
 * another's heading).
 */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ path: string | null; data?: T; error?: string }>({
    path,
  });
  const [loading, setLoading] = useState(path !== null);
  const current = useRef(path);
  current.current = path;
  const reload = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      const d = await api<T>(path);
      if (current.current === path) setState({ path, data: d });
    } catch (e) {
      if (current.current === path)
        setState((s) => ({
          path,
          ...(s.path === path && s.data !== undefined ? { data: s.data } : {}),
          error: (e as Error).message,
        }));
    } finally {
      if (current.current === path) setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const mine = state.path === path;
  return {
    data: mine ? state.data : undefined,
    error: mine ? state.error : undefined,
    loading: loading || !mine,
    reload,
  };
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: string }) {
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** Shows the loading state or the error of a load, else its content. */
export function Show<T>({
  load,
  what,
  children,
}: {
  load: Loaded<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (load.data !== undefined) return <>{children(load.data)}</>;
  if (load.error) return <ErrorMessage error={`Could not load ${what}: ${load.error}`} />;
  return <Loading what={what} />;
}

/** A time as the reader's locale shows it, with the exact ISO value on hover. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">–</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={at}>
      {Number.isNaN(d.getTime()) ? at : d.toLocaleString()}
    </time>
  );
}

/** A long hash shortened for reading, in full for copying and screen readers. */
export function Hash({ value, full = false }: { value: string; full?: boolean }) {
  return (
    <code class="hash" title={value}>
      {full || value.length <= 20 ? value : `${value.slice(0, 16)}…`}
    </code>
  );
}

/** Epsilon/delta as people write them. */
export function privacy(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) < 1e-3) return x.toExponential(1);
  return String(Math.round(x * 1e6) / 1e6);
}

/** The state of a run or proposal as a labelled badge (text, not colour alone). */
export function Badge({ state }: { state: string }) {
  return <span class={`badge badge-${state.replace(/[^a-z]/g, '')}`}>{state}</span>;
}

/**
 * A modal confirmation step (the native <dialog>: focus moves into it, Escape
 * cancels, focus returns to the opener when it closes).
 */
export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
  children,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
      <div class="actions">
        <button type="button" class="primary" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** Repeats a function every `ms` while the component is shown and the tab visible. */
export function useInterval(f: () => void, ms: number): void {
  const saved = useRef(f);
  saved.current = f;
  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(t);
  }, [ms]);
}
