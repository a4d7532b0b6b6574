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
}

export type AuthenticationFailure = 'unknown' | 'revoked' | 'expired';

/** Recording every use would write on every request; once a minute is precise enough to spot stale tokens. */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function authenticate(knex: Knex, secret: string): Promise<Principal | AuthenticationFailure> {
  const row: TokenRow | undefined = await knex('api_tokens')
    .where({ token_hash: hashTokenSecret(secret) })
    .first();
  if (!row) return 'unknown';
  if (row.revoked_at) return 'revoked';
  const now = Date.now();
  if (row.expires_at && row.expires_at.getTime() <= now) return 'expired';
  if (!isRole(row.role)) return 'unknown';
  if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await knex('api_tokens')
      .where({ id: row.id })
      .update({ last_used_at: new Date(now) });
  }
  return { tokenId: row.id, name: row.name, role: row.role };
}

/**
 * Makes sure the token given in WARDEN_BOOTSTRAP_TOKEN is an active admin token. A previous bootstrap token
 * with another value is revoked, so changing the variable rotates the credential. Idempotent: a restart with
 * the same value changes nothing and audits nothing.
 */
export async function ensureBootstrapToken(knex: Knex, secret: string): Promise<'created' | 'unchanged'> {
  const hash = hashTokenSecret(secret);
  return knex.transaction(async (trx) => {
    const existing: TokenRow | undefined = await trx('api_tokens').where({ token_hash: hash }).forUpdate().first();
    if (existing && !existing.revoked_at && existing.role === 'admin') return 'unchanged';
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
    return 'created';
  });
}
