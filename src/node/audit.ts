/**
 * The node's audit log: append-only, every entry chained by SHA-256 to the one
 * before it and signed with the node's key, so that a changed, removed or
 * reordered entry breaks the chain at that point.
 *
 *   hash_i = SHA-256(canonical {seq: i, at, kind, actor, body, prev: hash_{i-1}}),  hash_0 = 0^64
 *   signature_i = ECDSA-P256-SHA256(node key, hash_i)
 *
 * The database refuses UPDATE and DELETE on the table (a trigger), and a
 * one-row head (seq, hash) moves with each append in the same transaction,
 * so removing the newest entries is caught too. Someone who controls the
 * database and the key can still rewrite the whole history consistently:
 * that is what the heads exchanged with peers at each run catch
 * (governance.ts; docs/NODE.md, threat model).
 */
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { canonicalJson } from '../adapters/node/net/federation.js';
import type { AuditEntry, NodeDb, Schema } from './store/schema.js';
import type { Signer, Verifier } from './signer.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  /** What happened, e.g. 'proposal.recorded', 'proposal.approved', 'run.released', 'request.refused'. */
  readonly kind: string;
  /** Who did it: 'user:NAME', 'node:ID' or 'anonymous'. */
  readonly actor: string;
  /** What the entry records; never a secret (no token, no key, no individual record). */
  readonly body: Record<string, unknown>;
}

type Db = NodeDb | Transaction<Schema>;

/** The hash of one entry given its fields (see the module comment). */
export function entryHash(e: {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  body: string;
  prev_hash: string;
}): string {
  const text = canonicalJson({
    seq: e.seq,
    at: e.at,
    kind: e.kind,
    actor: e.actor,
    body: e.body,
    prev: e.prev_hash,
  });
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Appends one entry, in the caller's transaction when given one (so that the
 * entry commits or rolls back with what it records). Appends are serialised
 * by a row lock on the head.
 */
export async function appendAudit(
  db: Db,
  signer: Signer,
  record: AuditRecord,
): Promise<AuditEntry> {
  const run = async (tx: Transaction<Schema>): Promise<AuditEntry> => {
    const head = await tx
      .selectFrom('audit_head')
      .selectAll()
      .where('id', '=', 1)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const entry = {
      seq: head.seq + 1,
      at: new Date().toISOString(),
      kind: record.kind,
      actor: record.actor,
      body: canonicalJson(record.body),
      prev_hash: head.hash,
    };
    const hash = entryHash(entry);
    const row: AuditEntry = { ...entry, hash, signature: signer.sign(hash) };
    await tx.insertInto('audit_log').values(row).execute();
    await tx.updateTable('audit_head').set({ seq: row.seq, hash }).where('id', '=', 1).execute();
    return row;
  };
  return db.isTransaction ? run(db as Transaction<Schema>) : db.transaction().execute(run);
}

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export async function auditHead(db: Db): Promise<AuditHead> {
  const h = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return { seq: h.seq, hash: h.hash };
}

export interface AuditVerdict {
  readonly ok: boolean;
  /** Entries checked. */
  readonly entries: number;
  readonly head: AuditHead;
  /** The first entry that does not verify, and why. */
  readonly firstBad?: { readonly seq: number; readonly problem: string };
}

/**
 * Re-checks the whole chain: sequence numbers 1, 2, ... without gaps, each
 * entry's hash, its link to the previous one, its signature, and that the
 * head names the last entry. Names the first entry that fails.
 */
export async function verifyAudit(db: Db, verifier: Verifier): Promise<AuditVerdict> {
  const head = await auditHead(db);
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  return verifyEntries(rows, verifier, head);
}

/** verifyAudit over entries already read (also used on an exported log). */
export function verifyEntries(
  rows: readonly AuditEntry[],
  verifier: Verifier,
  head?: AuditHead,
): AuditVerdict {
  let prev = GENESIS_HASH;
  const done = (firstBad?: { seq: number; problem: string }): AuditVerdict => ({
    ok: firstBad === undefined,
    entries: rows.length,
    head: head ?? { seq: rows.length, hash: prev },
    ...(firstBad ? { firstBad } : {}),
  });
  for (let i = 0; i < rows.length; i++) {
    const e = rows[i]!;
    const expected = i + 1;
    if (e.seq !== expected)
      return done({
        seq: expected,
        problem:
          e.seq > expected
            ? `entry ${expected} is missing (the next one is ${e.seq})`
            : `entry ${e.seq} appears out of place`,
      });
    if (e.prev_hash !== prev)
      return done({
        seq: e.seq,
        problem: 'does not link to the entry before it (prev_hash differs)',
      });
    if (entryHash(e) !== e.hash)
      return done({
        seq: e.seq,
        problem: 'its content does not match its hash (the entry was changed)',
      });
    if (!verifier(e.hash, e.signature))
      return done({ seq: e.seq, problem: "its signature does not verify with the node's key" });
    prev = e.hash;
  }
  if (head && (head.seq !== rows.length || head.hash !== prev))
    return done({
      seq: Math.min(head.seq, rows.length + 1),
      problem: `the log head names entry ${head.seq}, but the log ends at entry ${rows.length} (entries were removed from the end)`,
    });
  return done();
}

/** For tests and repairs by an operator: whether the table still has its append-only trigger. */
export async function appendOnlyGuarded(db: Db): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*)::int as n from pg_trigger
    where tgname = 'audit_log_append_only' and tgenabled <> 'D'`.execute(db);
  return (r.rows[0]?.n ?? 0) > 0;
}
