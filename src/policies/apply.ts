// Plan and apply for a policy across the connections it targets. A plan reads every targeted tenant and keeps
// the difference (a tenant that cannot be read is "unknown", never "no changes"); apply carries out exactly a
// kept plan: same hash, same policy version, and each tenant still planning the same, else it refuses. Every
// native change is audited as it is made. A plan may be of a proposed document (policy as code: the file in a
// repository) rather than the saved version; applying it saves the document as a new version first.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import type { SecretBox } from '../connections/secret-box';
import { listConnections, loadConnectorDefinition } from '../connections/store';
import { AppError, notFound } from '../errors';
import type { Logger } from '../log';
import { createConnector } from '../mdm';
import type { MdmConnector, MdmKind } from '../mdm/connector';
import { MdmError } from '../mdm/errors';
import { canonicalJson } from '../util/canonical-json';
import {
  type CompiledPolicy,
  CompileError,
  compileForKind,
  compileUnresolved,
  type GroupIds,
  groupNamesOf,
  MDM_NAMES,
} from './compile';
import { canonicalPolicy, type Policy, policyHash } from './model';
import { describePlan, nativeChanges, type PlanStep, planPolicy } from './plan';
import { checkPolicyName, currentVersion, getPolicy, savePolicy } from './store';

export interface PlanDeps {
  knex: Knex;
  log: Logger;
  secretBox: SecretBox | null;
  extraCaPem: string | null;
}

export interface ConnectionPlan {
  connectionId: string;
  connectionName: string;
  status: 'planned' | 'unknown' | 'invalid';
  summary: string;
  hash: string | null;
  steps: PlanStep[];
  unenforceable: CompiledPolicy['unenforceable'];
  reportOnly: string[];
  error?: { kind: string; message: string };
}

export interface StoredPlan {
  id: string;
  policy: string;
  /** The saved version planned, or for a proposed document the version it would follow (0: none yet). */
  policyVersion: number;
  /** Whether the plan is of a proposed document, saved as a new version when applied. */
  proposed: boolean;
  hash: string;
  createdAt: Date;
  connections: ConnectionPlan[];
}

type By = { actor: Actor; requestId?: string | null };

export async function connectorFor(deps: PlanDeps, connectionId: string): Promise<MdmConnector> {
  const { definition } = await loadConnectorDefinition(deps.knex, deps.secretBox, connectionId);
  return createConnector(definition, { log: deps.log, caPem: deps.extraCaPem ?? undefined });
}

/**
 * Compiles for one kind of MDM; a policy it cannot take is a conflict for the caller to fix. Without `groupIds`,
 * group names among the targets stand for a group each (what a tenant resolves them to is checked per tenant).
 */
export function compile(policy: Policy, kind: MdmKind, groupIds?: GroupIds): CompiledPolicy {
  try {
    return groupIds ? compileForKind(kind, policy, groupIds) : compileUnresolved(kind, policy);
  } catch (error) {
    if (error instanceof CompileError)
      throw new AppError('conflict', `the policy cannot be compiled for ${MDM_NAMES[kind]}: ${error.message}`);
    throw error;
  }
}

/** Why a tenant cannot take a policy's targets: group names it has none, or several, of. */
export class GroupResolutionError extends Error {}

/** Compiles a policy for one tenant, its group names resolved in that tenant's directory. */
export async function compileFor(policy: Policy, connector: MdmConnector): Promise<CompiledPolicy> {
  if ((policy.targets.groups ?? []).length > 0 && !connector.hasDirectory) {
    throw new GroupResolutionError(
      `targets.groups: ${MDM_NAMES[connector.kind]} has no directory groups Warden can target; leave this connection out of a policy that targets groups`,
    );
  }
  const names = groupNamesOf(policy);
  if (names.length === 0) return compile(policy, connector.kind);
  const resolution = await connector.resolveGroups(names);
  const problems = [
    resolution.missing.length > 0 && `no group is named ${resolution.missing.map((n) => `"${n}"`).join(', ')}`,
    resolution.ambiguous.length > 0 &&
      `several groups are named ${resolution.ambiguous.map((n) => `"${n}"`).join(', ')} (use the group id)`,
  ].filter(Boolean);
  if (problems.length > 0) throw new GroupResolutionError(`targets.groups: ${problems.join('; ')}`);
  return compile(policy, connector.kind, resolution.ids);
}

async function planConnection(
  deps: PlanDeps,
  policyName: string,
  policy: Policy,
  connection: { id: string; name: string; kind: MdmKind },
): Promise<{ plan: ConnectionPlan; connector: MdmConnector | null }> {
  const preview = compile(policy, connection.kind);
  const base = {
    connectionId: connection.id,
    connectionName: connection.name,
    unenforceable: preview.unenforceable,
    reportOnly: preview.reportOnly,
  };
  let connector: MdmConnector | null = null;
  try {
    connector = await connectorFor(deps, connection.id);
    const compiled = await compileFor(policy, connector);
    const plan = planPolicy(policyName, compiled.objects, await connector.readNative());
    return {
      plan: { ...base, status: 'planned', summary: describePlan(plan), hash: plan.hash, steps: plan.steps },
      connector,
    };
  } catch (error) {
    if (error instanceof GroupResolutionError) {
      const plan: ConnectionPlan = {
        ...base,
        status: 'invalid',
        summary: `invalid: ${error.message}`,
        hash: null,
        steps: [],
        error: { kind: 'invalid', message: error.message },
      };
      return { plan, connector };
    }
    const kind = error instanceof MdmError ? error.kind : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn({ connectionId: connection.id, kind }, 'could not read the tenant for a plan');
    const plan: ConnectionPlan = {
      ...base,
      status: 'unknown',
      summary: 'unknown: the MDM could not be read',
      hash: null,
      steps: [],
      error: { kind, message },
    };
    return { plan, connector };
  }
}

/** A document to plan instead of the saved version, and the reason to save it under if the plan is applied. */
export interface Proposal {
  policy: Policy;
  reason: string;
}

export async function createPlan(deps: PlanDeps, policyName: string, by: By, proposal?: Proposal): Promise<StoredPlan> {
  let document: Policy;
  let baseVersion: number;
  if (proposal) {
    checkPolicyName(policyName, proposal.policy);
    document = canonicalPolicy(proposal.policy);
    baseVersion = await currentVersion(deps.knex, policyName);
  } else {
    const saved = await getPolicy(deps.knex, policyName);
    document = saved.policy;
    baseVersion = saved.version;
  }
  const wanted = document.targets.connections;
  const targeted = (await listConnections(deps.knex)).filter((c) => wanted.includes('all') || wanted.includes(c.name));
  // A policy an MDM cannot take at all is refused before any tenant is read.
  for (const kind of new Set(targeted.map((c) => c.kind))) compile(document, kind);
  const connections: ConnectionPlan[] = [];
  for (const connection of targeted)
    connections.push((await planConnection(deps, policyName, document, connection)).plan);
  const hash = createHash('sha256')
    .update(
      canonicalJson({
        policy: policyName,
        version: baseVersion,
        proposed: proposal ? policyHash(document) : null,
        connections: connections.map((c) => [c.connectionId, c.hash]),
      }),
    )
    .digest('hex');
  const createdAt = new Date();
  return deps.knex.transaction(async (trx) => {
    // A proposed policy that has no version yet still needs its row for the plan to refer to.
    if (proposal) await trx('policies').insert({ name: policyName, current_version: 0 }).onConflict('name').ignore();
    const [row] = await trx('policy_plans')
      .insert({
        policy_name: policyName,
        policy_version: baseVersion,
        proposed: proposal ? JSON.stringify(document) : null,
        reason: proposal?.reason ?? null,
        hash,
        connections: JSON.stringify(connections),
        created_by: by.actor,
        created_at: createdAt,
      })
      .returning('id');
    await appendAudit(trx, {
      actor: by.actor,
      action: 'policy.plan',
      target: { type: 'policy', id: policyName },
      requestId: by.requestId ?? null,
      details: {
        planId: row.id,
        version: baseVersion,
        proposed: proposal !== undefined,
        hash,
        summaries: connections.map((c) => ({ connectionId: c.connectionId, summary: c.summary })),
      },
    });
    return {
      id: row.id,
      policy: policyName,
      policyVersion: baseVersion,
      proposed: proposal !== undefined,
      hash,
      createdAt,
      connections,
    };
  });
}

export async function applyPlan(
  deps: PlanDeps,
  policyName: string,
  planId: string,
  hash: string,
  by: By,
): Promise<{ policyVersion: number; connections: Array<{ connectionId: string; applied: number }> }> {
  const row = await deps.knex('policy_plans').where({ id: planId, policy_name: policyName }).first();
  if (!row) throw notFound(`plan of policy ${policyName}`, planId);
  const refuse = (why: string, field?: string) =>
    new AppError('conflict', `${why}; plan again and review the new plan`, field ? { field } : {});
  if (row.hash !== hash) throw refuse('the hash is not the hash of this plan', 'body.hash');
  if (row.applied_at) throw refuse('this plan has already been applied');
  const current = await currentVersion(deps.knex, policyName);
  if (current !== row.policy_version)
    throw refuse(`the policy changed since the plan (version ${row.policy_version} -> ${current})`);
  const proposed: Policy | null = row.proposed;
  const plans = row.connections as ConnectionPlan[];
  if (plans.some((p) => p.status === 'unknown')) throw refuse('some tenants could not be read when planning');
  if (plans.some((p) => p.status === 'invalid')) throw refuse('some tenants cannot take this policy (see the plan)');
  // Apply only what the caller saw: each tenant must still plan exactly the same.
  const document = proposed ?? (await getPolicy(deps.knex, policyName)).policy;
  const connectors: MdmConnector[] = [];
  const kinds = new Map((await listConnections(deps.knex)).map((c) => [c.id, c.kind]));
  for (const plan of plans) {
    const kind = kinds.get(plan.connectionId);
    if (!kind) throw refuse(`the connection ${plan.connectionName} no longer exists`);
    const fresh = await planConnection(deps, policyName, document, {
      id: plan.connectionId,
      name: plan.connectionName,
      kind,
    });
    if (fresh.plan.hash !== plan.hash || !fresh.connector)
      throw refuse(`the tenant of ${plan.connectionName} changed since the plan`);
    connectors.push(fresh.connector);
  }
  // A proposed document becomes the policy's next version before the tenants are changed to hold it.
  let appliedVersion: number = row.policy_version;
  if (proposed) {
    const saved = await savePolicy(
      deps.knex,
      policyName,
      { policy: proposed, reason: row.reason ?? `applied plan ${planId}`, expectedVersion: row.policy_version },
      by,
    );
    appliedVersion = saved.saved.version;
  }
  const results: Array<{ connectionId: string; applied: number }> = [];
  for (const [index, plan] of plans.entries()) {
    let applied = 0;
    for (const change of nativeChanges(plan.steps)) {
      const [result] = await connectors[index]!.applyNative([change]);
      applied++;
      await deps.knex.transaction((trx) =>
        appendAudit(trx, {
          actor: by.actor,
          action: 'policy.apply.change',
          target: { type: 'policy', id: policyName },
          requestId: by.requestId ?? null,
          details: {
            planId,
            connectionId: plan.connectionId,
            action: result!.action,
            collection: result!.collection,
            objectId: result!.id,
          },
        }),
      );
    }
    results.push({ connectionId: plan.connectionId, applied });
  }
  await deps.knex.transaction(async (trx) => {
    await trx('policy_plans').where({ id: planId }).update({ applied_at: new Date(), applied_version: appliedVersion });
    await appendAudit(trx, {
      actor: by.actor,
      action: 'policy.apply',
      target: { type: 'policy', id: policyName },
      requestId: by.requestId ?? null,
      details: { planId, hash, version: appliedVersion, results },
    });
  });
  return { policyVersion: appliedVersion, connections: results };
}
