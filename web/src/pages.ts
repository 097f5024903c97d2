/**
 * The dashboard's pages and the roles that may open them. A page a role may
 * not open is neither linked nor loaded: its data never reaches the browser.
 * The node enforces the same rules (src/node/http/app.ts); this only keeps the
 * page from asking.
 */
import type { Health, Me, Role } from './api.js';

export type PageId = 'overview' | 'proposals' | 'runs' | 'results' | 'audit' | 'settings';

export interface Session {
  me: Me;
  node: Health;
}

const ALL: readonly Role[] = ['owner', 'analyst', 'auditor'];

export const PAGES: readonly { id: PageId; label: string; roles: readonly Role[] }[] = [
  { id: 'overview', label: 'Overview', roles: ALL },
  { id: 'proposals', label: 'Proposals', roles: ALL },
  { id: 'runs', label: 'Runs', roles: ALL },
  // GET /v1/results: analysts and owners.
  { id: 'results', label: 'Results', roles: ['owner', 'analyst'] },
  // GET /v1/audit and /v1/audit/verify: auditors and owners.
  { id: 'audit', label: 'Audit log', roles: ['owner', 'auditor'] },
  // Users and dataset policies: owners.
  { id: 'settings', label: 'Settings', roles: ['owner'] },
];

export function allowed(role: Role, page: PageId): boolean {
  return PAGES.find((p) => p.id === page)?.roles.includes(role) ?? false;
}

/** Owners decide on proposals that name their node. */
export const mayDecide = (me: Me) => me.role === 'owner';
/** Released results: analysts and owners. */
export const mayReadResults = (me: Me) => me.role === 'owner' || me.role === 'analyst';
