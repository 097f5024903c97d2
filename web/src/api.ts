/**
 * The node's API as the dashboard uses it: same origin, the user's token as a
 * Bearer header, JSON in and out. The types mirror src/node/http/schemas.ts.
 */
import type { StudyOutcome } from '../../src/analytics/study/result.js';

/** What a study would release (ReleaseSummary of src/analytics/study/release.ts). */
export interface ReleasedAnalysis {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  readonly outputs: readonly string[];
  readonly cells: number;
  readonly minCellSize: number | null;
  readonly epsilon: number;
  readonly delta: number;
  readonly protection: string;
  readonly notes: readonly string[];
}
export interface ReleaseSummary {
  readonly study: string;
  readonly parties: readonly string[];
  readonly suite: string | undefined;
  readonly minCellSize: number;
  readonly budget: { readonly epsilon: number; readonly delta: number };
  readonly analyses: readonly ReleasedAnalysis[];
  readonly total: { readonly cells: number; readonly epsilon: number; readonly delta: number };
}

export type Role = 'owner' | 'analyst' | 'auditor';

export interface Health {
  node: string;
  name: string;
  backend: string;
  status: string;
}
export interface Me {
  name: string;
  role: Role;
  created_at: string;
  disabled: boolean;
}
export type User = Me;
export interface NewToken {
  user: User;
  token: string;
}

export interface SchemaColumn {
  name: string;
  type: string;
  levels?: string[];
  min?: number | string;
  max?: number | string;
  scale?: number;
  missing?: string;
  label?: string;
}
export interface Budget {
  epsilon_total: number;
  delta_total: number;
  epsilon_spent: number;
  delta_spent: number;
  epsilon_reserved: number;
  delta_reserved: number;
  epsilon_left: number;
  delta_left: number;
}
export interface Dataset {
  name: string;
  format: string;
  schema: { columns?: SchemaColumn[] } | null;
  content_hash: string;
  rows: number;
  registered_at: string;
  registered_by: string;
  max_epsilon_per_run: number | null;
  min_cell_size: number | null;
  budget: Budget | null;
}
export interface LedgerEntry {
  dataset: string;
  run_id: string;
  kind: string;
  epsilon: number;
  delta: number;
  at: string;
}
export interface Decision {
  proposal_id: string;
  node: string;
  decision: 'approve' | 'refuse';
  reason: string | null;
  conditions: Record<string, unknown> | null;
  hash: string;
  user_name: string;
  at: string;
}
export interface Proposal {
  id: string;
  hash: string;
  study_name: string;
  suite: string;
  parties: string[];
  proposer: string;
  supersedes: string | null;
  status: string;
  created_at: string;
  summary: ReleaseSummary;
  decisions: Decision[];
  study?: string;
}
export interface Diff {
  previous: string | null;
  lines: { op: ' ' | '+' | '-'; text: string }[];
  analyses: { added: string[]; removed: string[]; changed: string[] };
}
export type RunState = 'queued' | 'running' | 'released' | 'failed';
export interface Run {
  id: string;
  proposal_id: string;
  hash: string;
  state: RunState;
  progress: string[];
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}
export interface Result {
  run: string;
  proposal_id: string;
  released_at: string;
  epsilon: number;
  delta: number;
  outcome: StudyOutcome;
}
export interface AuditEntry {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  body: unknown;
  prev_hash: string;
  hash: string;
  signature: string;
}
export interface Verdict {
  ok: boolean;
  entries: number;
  head: { seq: number; hash: string };
  firstBad?: { seq: number; problem: string };
  peers: { peer: string; seq: number; ok: boolean; problem?: string }[];
}

/** A refusal or failure of the API, with its HTTP status and the node's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'entente.token';

/** The token lives in this tab's sessionStorage only: closing the tab signs out. */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized: () => void = () => undefined;
/** Called when the node refuses the token (401): the app signs out. */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

function headers(token: string | null, json: boolean): Record<string, string> {
  return {
    Accept: 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    ...(json ? { 'Content-Type': 'application/json' } : {}),
  };
}

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const b = (await res.json()) as { error?: unknown };
    if (typeof b.error === 'string') message = b.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message);
}

/** Calls the API with the session's token (or the one given, to sign in). */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const token = init.token ?? session.token;
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(token, init.body !== undefined),
    cache: 'no-store',
    credentials: 'omit',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (!res.ok) {
    const e = await failure(res);
    if (res.status === 401 && init.token === undefined) onUnauthorized();
    throw e;
  }
  return (await res.json()) as T;
}

/** The node's name and id (no token needed). */
export function health(): Promise<Health> {
  return api<Health>('/v1/health', { token: '' });
}

export interface RunEvent {
  run?: string;
  state: RunState;
  line?: string;
  reason?: string | null;
  progress?: string[];
}

/**
 * Reads a run's server-sent events with fetch (EventSource cannot send the
 * Authorization header): the run's state first, then each progress line and
 * the final state. Resolves when the stream ends.
 */
export async function runEvents(
  id: string,
  onEvent: (name: string, data: RunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`/v1/runs/${encodeURIComponent(id)}/events`, {
    headers: { ...headers(session.token, false), Accept: 'text/event-stream' },
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  if (!res.ok || !res.body) {
    const e = await failure(res);
    if (res.status === 401) onUnauthorized();
    throw e;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + value).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = v;
        else if (field === 'data') data.push(v);
      }
      if (data.length === 0) continue;
      try {
        onEvent(name, JSON.parse(data.join('\n')) as RunEvent);
      } catch {
        // a malformed event is skipped; the next state event corrects the view
      }
    }
  }
}
