// Versioned policies: saving a changed document adds a version (never rewriting an earlier one) with who saved
// it and why, audited in the same transaction; an equal document adds nothing. If-Match makes concurrent
// editors find out instead of overwriting each other.
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { AppError, notFound } from '../errors';
import type { components } from '../http/api-types';
import { canonicalPolicy, type Policy, policyHash } from './model';

export interface PolicyVersion {
  name: string;
  version: number;
  policy: Policy;
  hash: string;
  changedAt: Date;
  changedBy: Actor;
  reason: string;
}

interface VersionRow {
  name: string;
  version: number;
  document: Policy;
  hash: string;
  changed_by: Actor;
  reason: string;
  changed_at: Date;
}

const fromRow = (row: VersionRow): PolicyVersion => ({
  name: row.name,
  version: row.version,
  policy: row.document,
  hash: row.hash,
  changedAt: row.changed_at,
  changedBy: row.changed_by,
  reason: row.reason,
});

export interface SaveResult {
  saved: PolicyVersion;
  created: boolean;
  changed: boolean;
}

/** A document must carry the name it is saved (or planned) under. */
export function checkPolicyName(name: string, policy: Policy): void {
  if (policy.name !== name) {
    throw new AppError('validation', `body.policy.name: must be "${name}", the name in the path`, {
      field: 'body.policy.name',
    });
  }
}

/** The policy's current version number; 0 when it has none yet. */
export async function currentVersion(knex: Knex, name: string): Promise<number> {
  const row = await knex('policies').where({ name }).first('current_version');
  return row?.current_version ?? 0;
}

export async function savePolicy(
  knex: Knex,
  name: string,
  change: { policy: Policy; reason: string; expectedVersion?: number },
  by: { actor: Actor; requestId?: string | null },
): Promise<SaveResult> {
  checkPolicyName(name, change.policy);
  const policy = canonicalPolicy(change.policy);
  const hash = policyHash(policy);
  return knex.transaction(async (trx) => {
    await trx('policies').insert({ name, current_version: 0 }).onConflict('name').ignore();
    const { current_version: current } = await trx('policies').where({ name }).forUpdate().first('current_version');
    if (change.expectedVersion !== undefined && change.expectedVersion !== current) {
      throw new AppError(
        'precondition-failed',
        `policy ${name} is at version ${current}, not ${change.expectedVersion}: read it again and reapply your change`,
        { field: 'header.if-match' },
      );
    }
    if (current > 0) {
      const latest: VersionRow = await trx('policy_versions').where({ name, version: current }).first();
      if (latest.hash === hash) return { saved: fromRow(latest), created: false, changed: false };
    }
    const [row] = await trx('policy_versions')
      .insert({
        name,
        version: current + 1,
        document: policy,
        hash,
        changed_by: by.actor,
        reason: change.reason,
        changed_at: new Date(),
      })
      .returning('*');
    await trx('policies')
      .where({ name })
      .update({ current_version: current + 1 });
    await appendAudit(trx, {
      actor: by.actor,
      action: current === 0 ? 'policy.create' : 'policy.update',
      target: { type: 'policy', id: name },
      requestId: by.requestId ?? null,
      details: { version: current + 1, hash, reason: change.reason },
    });
    return { saved: fromRow(row), created: current === 0, changed: true };
  });
}

export async function getPolicy(knex: Knex, name: string, version?: number): Promise<PolicyVersion> {
  // Versions are 32-bit integers in the database: a larger one (or Infinity, an "integer" to JSON Schema) is none.
  if (version !== undefined && !(version <= 2_147_483_647)) throw notFound(`version ${version} of policy`, name);
  const query = knex('policy_versions as v').where('v.name', name);
  if (version === undefined)
    query.join('policies as p', (j) => j.on('p.name', 'v.name').andOn('p.current_version', 'v.version'));
  else query.where('v.version', version);
  const row: VersionRow | undefined = await query.first('v.*');
  if (!row) throw notFound(version === undefined ? 'policy' : `version ${version} of policy`, name);
  return fromRow(row);
}

export async function listPolicies(knex: Knex): Promise<PolicyVersion[]> {
  const rows: VersionRow[] = await knex('policy_versions as v')
    .join('policies as p', (j) => j.on('p.name', 'v.name').andOn('p.current_version', 'v.version'))
    .select('v.*')
    .orderBy('v.name');
  return rows.map(fromRow);
}

export async function listPolicyVersions(knex: Knex, name: string): Promise<PolicyVersion[]> {
  const rows: VersionRow[] = await knex('policy_versions').where({ name }).orderBy('version', 'desc');
  if (rows.length === 0) throw notFound('policy', name);
  return rows.map(fromRow);
}

/** A policy version as the API and the signed evidence show it. */
export function presentPolicyVersion(version: PolicyVersion): components['schemas']['PolicyVersion'] {
  return {
    name: version.name,
    version: version.version,
    policy: version.policy,
    hash: version.hash,
    changedAt: version.changedAt.toISOString(),
    changedBy: { type: version.changedBy.type, id: version.changedBy.id, name: version.changedBy.name },
    reason: version.reason,
  };
}
