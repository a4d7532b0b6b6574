// /v1/tokens: API tokens for admins. Secrets are shown once, at creation.
import { createToken, getToken, listTokens, revokeToken, type Token } from '../../auth/tokens';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function presentToken(token: Token): components['schemas']['Token'] {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy,
    expiresAt: iso(token.expiresAt),
    revokedAt: iso(token.revokedAt),
    lastUsedAt: iso(token.lastUsedAt),
  };
}

export const tokenRoutes = {
  listTokens: {
    roles: ['admin'],
    async handler({ input, deps }) {
      const tokens = await listTokens(deps.db.knex, input.query.includeRevoked ?? false);
      return { status: 200, body: { items: tokens.map(presentToken) } };
    },
  },

  createToken: {
    roles: ['admin'],
    auditAction: 'token.create',
    async handler({ input, deps, by }) {
      const { token, secret } = await createToken(deps.db.knex, input.body, by);
      return { status: 201, body: { ...presentToken(token), token: secret } };
    },
  },

  getToken: {
    roles: ['admin'],
    async handler({ input, deps }) {
      return { status: 200, body: presentToken(await getToken(deps.db.knex, input.params.id)) };
    },
  },

  revokeToken: {
    roles: ['admin'],
    auditAction: 'token.revoke',
    async handler({ input, deps, by }) {
      await revokeToken(deps.db.knex, input.params.id, by);
      return { status: 204 };
    },
  },
} satisfies RouteTable;
