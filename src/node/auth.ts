/**
 * Users, roles and API tokens.
 *
 * A token is `ent_<id>_<secret>`: the id finds the user's row, the secret
 * (32 random bytes) is checked against a scrypt hash (N = 2^15, r = 8, p = 1;
 * RFC 7914), so a copy of the database does not give anyone a working token.
 * The token is shown once, when made. Tokens verified recently are kept in
 * memory under their SHA-256 for a minute, so that an API client does not pay
 * the deliberately slow hash on every request; disabling a user clears it.
 *
 * Roles: owner (registers datasets, sets policy, approves or refuses),
 * analyst (proposes, reads released results), auditor (reads the audit log).
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { NodeDb, Role, Schema, User } from './store/schema.js';

export const ROLES: readonly Role[] = ['owner', 'analyst', 'auditor'];
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

const SCRYPT: ScryptOptions = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;
const CACHE_MS = 60_000;

function scryptAsync(secret: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) =>
    scrypt(secret, salt, KEY_BYTES, o, (e, k) => (e ? rej(e) : res(k))),
  );
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

async function checkSecret(secret: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scryptAsync(secret, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = /^ent_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** A mistake in a user change (unknown role, name taken): a 4xx, never a 5xx. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/**
 * Adds a user and returns its token (shown once).
 * @throws {UserError} for a bad name or role, or a name in use.
 */
export async function addUser(
  db: NodeDb | Transaction<Schema>,
  name: string,
  role: string,
): Promise<{ user: User; token: string }> {
  if (!USER_NAME.test(name))
    throw new UserError(`name: expected letters, digits and _.@- (1..64), got '${name}'`);
  if (!ROLES.includes(role as Role))
    throw new UserError(`role: expected one of ${ROLES.join(', ')}, got '${role}'`);
  const taken = await db
    .selectFrom('users')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (taken) throw new UserError(`name: a user '${name}' exists already`);
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const user: User = {
    id: randomBytes(8).toString('hex'),
    name,
    role: role as Role,
    token_id: tokenId,
    token_hash: await hashSecret(secret),
    created_at: new Date().toISOString(),
    disabled: false,
  };
  await db.insertInto('users').values(user).execute();
  return { user, token: `ent_${tokenId}_${secret}` };
}

/** Verifies Bearer tokens against the users table, with a short-lived cache of good ones. */
export class TokenVerifier {
  private readonly cache = new Map<string, { user: User; until: number }>();

  constructor(private readonly db: NodeDb) {}

  /** The user a token belongs to, or undefined (malformed, unknown, wrong secret, disabled). */
  async verify(token: string): Promise<User | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && hit.until > now) return hit.user;
    this.cache.delete(key);
    const parsed = parseToken(token);
    if (!parsed) return undefined;
    const user = await this.db
      .selectFrom('users')
      .selectAll()
      .where('token_id', '=', parsed.id)
      .executeTakeFirst();
    if (!user || user.disabled || !(await checkSecret(parsed.secret, user.token_hash)))
      return undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { user, until: now + CACHE_MS });
    return user;
  }

  /** Forget cached tokens (after a user is disabled or changed). */
  clear(): void {
    this.cache.clear();
  }
}

/**
 * Slows down and then refuses clients that keep failing authentication:
 * after 5 failures in 10 minutes each answer is delayed (doubling, up to 5 s),
 * after 50 the client is refused with 429 until the window passes.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  static readonly WINDOW_MS = 600_000;

  private entry(client: string, now: number) {
    const e = this.failures.get(client);
    if (!e || now - e.since > FailureThrottle.WINDOW_MS) return undefined;
    return e;
  }

  /** Records a failure; returns how many in the current window. */
  fail(client: string, now = Date.now()): number {
    const e = this.entry(client, now) ?? { count: 0, since: now };
    e.count++;
    this.failures.set(client, e);
    if (this.failures.size > 100_000) this.failures.clear();
    return e.count;
  }

  /** Delay to impose before answering this client (0 when it has not failed much). */
  delayMs(client: string, now = Date.now()): number {
    const n = this.entry(client, now)?.count ?? 0;
    return n < 5 ? 0 : Math.min(5_000, 100 * 2 ** (n - 5));
  }

  blocked(client: string, now = Date.now()): boolean {
    return (this.entry(client, now)?.count ?? 0) >= 50;
  }
}
