import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, appendOnlyGuarded, verifyAudit } from '../../src/node/audit.js';
import { signerFromPem, verifierFromPem } from '../../src/node/signer.js';
import { migrate, SCHEMA_VERSION, SchemaTooNewError } from '../../src/node/store/migrations.js';
import type { Store } from '../../src/node/store/store.js';
import { BACKENDS } from './backends.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = signerFromPem(
  'node-a',
  privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);
const verify = verifierFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherVerify = verifierFromPem(
  other.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
);

for (const backend of BACKENDS) {
  describe(`store and audit log on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    /** Runs f with the append-only trigger off (what an attacker with the database could do). */
    async function tamper(f: () => Promise<unknown>): Promise<void> {
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(store.db);
      try {
        await f();
      } finally {
        await sql`alter table audit_log enable trigger audit_log_append_only`.execute(store.db);
      }
    }
    async function fill(n: number): Promise<void> {
      for (let i = 0; i < n; i++)
        await appendAudit(store.db, signer, {
          kind: 'test.entry',
          actor: 'user:alice',
          body: { i, note: `entry ${i}` },
        });
    }
    async function reset(): Promise<void> {
      await tamper(() => sql`delete from audit_log`.execute(store.db));
      await sql`update audit_head set seq = 0, hash = repeat('0', 64)`.execute(store.db);
    }

    it('migrates to the current version, idempotently, and refuses a newer schema', async () => {
      expect(await migrate(store.db as never)).toEqual([]);
      const v = await store.db.selectFrom('entente_schema').select('version').execute();
      expect(v.map((r) => r.version)).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      await store.db
        .insertInto('entente_schema')
        .values({ version: SCHEMA_VERSION + 1, applied_at: 'x' })
        .execute();
      await expect(migrate(store.db as never)).rejects.toThrow(SchemaTooNewError);
      await expect(migrate(store.db as never)).rejects.toThrow(
        new RegExp(`version ${SCHEMA_VERSION + 1}.*up to ${SCHEMA_VERSION}`),
      );
      await store.db
        .deleteFrom('entente_schema')
        .where('version', '=', SCHEMA_VERSION + 1)
        .execute();
    });

    it('an empty log verifies; appended entries chain and verify', async () => {
      await reset();
      expect((await verifyAudit(store.db, verify)).ok).toBe(true);
      await fill(5);
      const v = await verifyAudit(store.db, verify);
      expect(v).toMatchObject({ ok: true, entries: 5, head: { seq: 5 } });
      expect((await verifyAudit(store.db, otherVerify)).firstBad).toEqual({
        seq: 1,
        problem: expect.stringMatching(/signature/),
      });
    });

    it('the database refuses updates and deletes of entries', async () => {
      await reset();
      await fill(2);
      expect(await appendOnlyGuarded(store.db)).toBe(true);
      await expect(
        store.db
          .updateTable('audit_log')
          .set({ actor: 'user:mallory' })
          .where('seq', '=', 1)
          .execute(),
      ).rejects.toThrow(/append-only/);
      await expect(store.db.deleteFrom('audit_log').where('seq', '=', 2).execute()).rejects.toThrow(
        /append-only/,
      );
    });

    it('a changed entry is named', async () => {
      await reset();
      await fill(6);
      await tamper(() =>
        store.db
          .updateTable('audit_log')
          .set({ body: '{"i":3,"note":"nothing happened"}' })
          .where('seq', '=', 4)
          .execute(),
      );
      expect((await verifyAudit(store.db, verify)).firstBad).toEqual({
        seq: 4,
        problem: expect.stringMatching(/content does not match/),
      });
    });

    it('a changed entry with a recomputed hash fails its signature or the next link', async () => {
      await reset();
      await fill(4);
      await tamper(() =>
        sql`update audit_log set actor = 'user:mallory', hash = repeat('a', 64) where seq = 2`.execute(
          store.db,
        ),
      );
      const bad = (await verifyAudit(store.db, verify)).firstBad;
      expect(bad?.seq).toBe(2);
    });

    it('a removed entry is named, in the middle and at the end', async () => {
      await reset();
      await fill(5);
      await tamper(() => store.db.deleteFrom('audit_log').where('seq', '=', 3).execute());
      expect((await verifyAudit(store.db, verify)).firstBad).toEqual({
        seq: 3,
        problem: expect.stringMatching(/entry 3 is missing/),
      });
      await reset();
      await fill(5);
      await tamper(() => store.db.deleteFrom('audit_log').where('seq', '=', 5).execute());
      expect((await verifyAudit(store.db, verify)).firstBad).toEqual({
        seq: 5,
        problem: expect.stringMatching(/removed from the end/),
      });
    });

    it('two reordered entries are caught at the first of them', async () => {
      await reset();
      await fill(5);
      await tamper(async () => {
        // Swap the contents of entries 2 and 3, keeping their sequence numbers.
        const rows = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', 'in', [2, 3])
          .orderBy('seq')
          .execute();
        const [a, b] = [rows[0]!, rows[1]!];
        await store.db
          .updateTable('audit_log')
          .set({ ...b, seq: 2 })
          .where('seq', '=', 2)
          .execute();
        await store.db
          .updateTable('audit_log')
          .set({ ...a, seq: 3 })
          .where('seq', '=', 3)
          .execute();
      });
      const bad = (await verifyAudit(store.db, verify)).firstBad;
      expect(bad?.seq).toBe(2);
    });

    it('concurrent appends get distinct, contiguous sequence numbers', async () => {
      await reset();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          appendAudit(store.db, signer, { kind: 'test.concurrent', actor: 'node:a', body: { i } }),
        ),
      );
      expect(await verifyAudit(store.db, verify)).toMatchObject({ ok: true, entries: 20 });
    });
  });
}
