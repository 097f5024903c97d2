import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, FailureThrottle, TokenVerifier, UserError } from '../../src/node/auth.js';
import { openStore, type Store } from '../../src/node/store/store.js';

describe('users and tokens', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ kind: 'pglite', dir: undefined });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('a token works once made, is stored only as a scrypt hash, and fails when altered', async () => {
    const { user, token } = await addUser(store.db, 'alice', 'owner');
    expect(token).toMatch(/^ent_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const row = await store.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // The secret is everything after the id (base64url: it may itself contain '_').
    const secret = token.slice('ent_'.length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(row.token_hash).not.toContain(secret);
    const v = new TokenVerifier(store.db);
    expect((await v.verify(token))?.name).toBe(user.name);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(await new TokenVerifier(store.db).verify(token.slice(0, -1) + last)).toBeUndefined();
    expect(await v.verify('')).toBeUndefined();
    expect(await v.verify('Bearer x')).toBeUndefined();
  });

  it('a disabled user is refused once the cache is cleared', async () => {
    const { token } = await addUser(store.db, 'bob', 'analyst');
    const v = new TokenVerifier(store.db);
    expect(await v.verify(token)).toBeDefined();
    await store.db.updateTable('users').set({ disabled: true }).where('name', '=', 'bob').execute();
    v.clear();
    expect(await v.verify(token)).toBeUndefined();
  });

  it('refuses bad names, unknown roles and taken names', async () => {
    await expect(addUser(store.db, '', 'owner')).rejects.toThrow(UserError);
    await expect(addUser(store.db, 'x y', 'owner')).rejects.toThrow(/name/);
    await expect(addUser(store.db, 'carol', 'admin')).rejects.toThrow(
      /role: expected one of owner, analyst, auditor/,
    );
    await expect(addUser(store.db, 'alice', 'auditor')).rejects.toThrow(/exists already/);
  });
});

describe('failed-authentication throttle', () => {
  it('slows a client after 5 failures, doubling up to 5 s, and refuses it after 50', () => {
    const t = new FailureThrottle();
    const now = 1_000_000;
    for (let i = 0; i < 4; i++) t.fail('1.2.3.4', now);
    expect(t.delayMs('1.2.3.4', now)).toBe(0);
    t.fail('1.2.3.4', now);
    expect(t.delayMs('1.2.3.4', now)).toBe(100);
    t.fail('1.2.3.4', now);
    expect(t.delayMs('1.2.3.4', now)).toBe(200);
    for (let i = 0; i < 20; i++) t.fail('1.2.3.4', now);
    expect(t.delayMs('1.2.3.4', now)).toBe(5_000);
    expect(t.blocked('1.2.3.4', now)).toBe(false);
    for (let i = 0; i < 24; i++) t.fail('1.2.3.4', now);
    expect(t.blocked('1.2.3.4', now)).toBe(true);
    // Others are not affected; the window passes.
    expect(t.delayMs('5.6.7.8', now)).toBe(0);
    expect(t.blocked('1.2.3.4', now + FailureThrottle.WINDOW_MS + 1)).toBe(false);
  });
});
