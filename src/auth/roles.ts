// Roles and the principal a request acts as. Each API token carries exactly one role.
import type { Actor } from '../audit/chain';

export const ROLES = ['admin', 'security-viewer', 'automation'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling: an API token's identity and role. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export function actorOf(principal: Principal): Actor {
  return { type: 'token', id: principal.tokenId, name: principal.name, role: principal.role };
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'warden', role: null };
export const CLI_ACTOR: Actor = { type: 'cli', id: null, name: 'cli', role: null };
