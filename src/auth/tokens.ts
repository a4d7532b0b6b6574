// API tokens: create (secret shown once), list, revoke, authenticate, and the bootstrap token from the
// environment. Every change writes its audit event in the same transaction.
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { AppError, notFound } from '../errors';
import { isRole, type Principal, type Role, SYSTEM_ACTOR } from './roles';
import { displayPrefix, generateTokenSecret, hashTokenSecret } from './secrets';

export interface Token {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  prefix: string;
  created_by: string;
  bootstrap: boolean;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = [
  'id',
  'name',
  'role',
  'prefix',
  'created_by',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
];

function fromRow(row: Omit<TokenRow, 'token_hash' | 'bootstrap'>): Token {
  if (!isRole(row.role)) throw new Error(`api_tokens row ${row.id} has an unknown role`);
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  expiresInDays?: number;
}

export async function createToken(
  knex: Knex,
  input: CreateTokenInput,
  by: { actor: Actor; requestId?: string | null },
): Promise<{ token: Token; secret: string }> {
  const secret = generateTokenSecret();
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  return knex.transaction(async (trx) => {
    const [row] = await trx('api_tokens')
      .insert({
        name: input.name,
        role: input.role,
        token_hash: hashTokenSecret(secret),
        prefix: displayPrefix(secret),
        created_by: by.actor.name,
        expires_at: expiresAt,
      })
      .returning(COLUMNS);
    const token = fromRow(row);
    await appendAudit(trx, {
      actor: by.actor,
      action: 'token.create',
      target: { type: 'token', id: token.id },
      requestId: by.requestId ?? null,
      details: { name: token.name, role: token.role, expiresAt: token.expiresAt?.toISOString() ?? null },
    });
    return { token, secret };
  });
}

export async function listTokens(knex: Knex, includeRevoked: boolean): Promise<Token[]> {
  const query = knex('api_tokens')
    .select(COLUMNS)
    .orderBy([{ column: 'created_at', order: 'desc' }, 'id']);
  if (!includeRevoked) query.whereNull('revoked_at');
  return (await query).map(fromRow);
}

export async function getToken(knex: Knex, id: string): Promise<Token> {
  const row = await knex('api_tokens').select(COLUMNS).where({ id }).first();
  if (!row) throw notFound('token', id);
  return fromRow(row);
}

const activeAdmins = (q: Knex.QueryBuilder) =>
  q
    .where({ role: 'admin' })
    .whereNull('revoked_at')
    .where((w) => w.whereNull('expires_at').orWhere('expires_at', '>', new Date()));

export async function hasActiveAdminToken(knex: Knex): Promise<boolean> {
  return (await activeAdmins(knex('api_tokens').select('id').limit(1))).length > 0;
}

/** Revokes a token. Refuses to revoke the last active admin token, which would lock every admin out. */
export async function revokeToken(
  knex: Knex,
  id: string,
  by: { actor: Actor; requestId?: string | null },
): Promise<void> {
  await knex.transaction(async (trx) => {
    const row = await trx('api_tokens').select(COLUMNS).where({ id }).forUpdate().first();
    if (!row) throw notFound('token', id);
    if (row.revoked_at) return;
    if (row.role === 'admin') {
      // Locking every active admin row serialises two revocations racing for the last two admins.
      const admins = await activeAdmins(trx('api_tokens').select('id').forUpdate());
      if (admins.length <= 1 && admins.some((a: { id: string }) => a.id === id)) {
        throw new AppError(
          'conflict',
          'this is the last active admin token; create another admin token before revoking it',
        );
      }
    }
    await trx('api_tokens').where({ id }).update({ revoked_at: new Date() });
    await appendAudit(trx, {
      actor: by.actor,
      action: 'token.revoke',
      target: { type: 'token', id },
      requestId: by.requestId ?? null,
      details: { name: row.name, role: row.role },
    });
  });
  // After the commit: a request racing the revocation could otherwise cache the token again.
  forgetToken(knex, id);
}

export type AuthenticationFailure = 'unknown' | 'revoked' | 'expired';

/** Recording every use would write on every request; once a minute is precise enough to spot stale tokens. */
const LAST_USED_RESOLUTION_MS = 60_000;

interface RecentToken {
  principal: Principal;
  expiresAt: number | null;
  /** Until when this process trusts the entry without asking the database again. */
  trustedUntil: number;
}

/**
 * Tokens this process authenticated recently, per database, by secret hash: a busy API does not ask PostgreSQL
 * for the same token on every request. Revoking clears the entry here at once; another API process notices
 * within its cache time (WARDEN_TOKEN_CACHE_MS). Expiry is checked on every request.
 */
const recentTokens = new WeakMap<Knex, Map<string, RecentToken>>();
const RECENT_TOKENS_MAX = 10_000;

function forgetToken(knex: Knex, tokenId: string): void {
  const recent = recentTokens.get(knex);
  if (!recent) return;
  for (const [hash, entry] of recent) if (entry.principal.tokenId === tokenId) recent.delete(hash);
}

export async function authenticate(
  knex: Knex,
  secret: string,
  options: { cacheMs?: number } = {},
): Promise<Principal | AuthenticationFailure> {
  const hash = hashTokenSecret(secret);
  const now = Date.now();
  const recent = recentTokens.get(knex);
  const known = recent?.get(hash);
  if (known && known.trustedUntil > now) {
    if (known.expiresAt !== null && known.expiresAt <= now) return 'expired';
    return known.principal;
  }
  const row: TokenRow | undefined = await knex('api_tokens').where({ token_hash: hash }).first();
  if (!row) return 'unknown';
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now) return 'expired';
  if (!isRole(row.role)) return 'unknown';
  if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await knex('api_tokens')
      .where({ id: row.id })
      .update({ last_used_at: new Date(now) });
  }
  const principal: Principal = { tokenId: row.id, name: row.name, role: row.role };
  const cacheMs = options.cacheMs ?? 0;
  if (cacheMs > 0) {
    let cache = recent;
    if (!cache) {
      cache = new Map();
      recentTokens.set(knex, cache);
    }
    if (cache.size >= RECENT_TOKENS_MAX) cache.clear();
    // Re-checked no later than the minute its last use is recorded, so last_used_at keeps its resolution.
    const trustedFor = Math.min(cacheMs, LAST_USED_RESOLUTION_MS);
    cache.set(hash, { principal, expiresAt: row.expires_at?.getTime() ?? null, trustedUntil: now + trustedFor });
  }
  return principal;
}

/**
 * Makes sure the token given in WARDEN_BOOTSTRAP_TOKEN is an active admin token. A previous bootstrap token
 * with another value is revoked, so changing the variable rotates the credential. Idempotent: a restart with
 * the same value changes nothing and audits nothing.
 */
export async function ensureBootstrapToken(knex: Knex, secret: string): Promise<'created' | 'unchanged'> {
  try {
    return await ensureBootstrapTokenOnce(knex, secret);
  } catch (error) {
    // Two processes starting together (two API processes of one deployment) both found no token and both
    // inserted it: the second insert fails on the unique hash. Looking again finds the first one's token.
    if ((error as { code?: string }).code !== '23505') throw error;
    return ensureBootstrapTokenOnce(knex, secret);
  }
}

async function ensureBootstrapTokenOnce(knex: Knex, secret: string): Promise<'created' | 'unchanged'> {
  const hash = hashTokenSecret(secret);
  const replacedIds: string[] = [];
  const outcome = await knex.transaction(async (trx) => {
    const existing: TokenRow | undefined = await trx('api_tokens').where({ token_hash: hash }).forUpdate().first();
    if (existing && !existing.revoked_at && existing.role === 'admin') return 'unchanged' as const;
    if (existing) {
      throw new AppError(
        'conflict',
        'WARDEN_BOOTSTRAP_TOKEN matches a token that was revoked or is not an admin token; choose a new value',
      );
    }
    const replaced = await trx('api_tokens')
      .where({ bootstrap: true })
      .whereNull('revoked_at')
      .update({ revoked_at: new Date() }, ['id']);
    const [row] = await trx('api_tokens')
      .insert({
        name: 'bootstrap',
        role: 'admin',
        token_hash: hash,
        prefix: displayPrefix(secret),
        created_by: 'bootstrap',
        bootstrap: true,
      })
      .returning(['id']);
    await appendAudit(trx, {
      actor: SYSTEM_ACTOR,
      action: 'token.bootstrap',
      target: { type: 'token', id: row.id },
      details: { revokedPreviousBootstrapTokens: replaced.map((r: { id: string }) => r.id) },
    });
    replacedIds.push(...replaced.map((r: { id: string }) => r.id));
    return 'created' as const;
  });
  for (const id of replacedIds) forgetToken(knex, id);
  return outcome;
}
