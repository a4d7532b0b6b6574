// /v1/policies: governance policies, versioned, each change saying who and why.
import type { AppDeps } from '../../app';
import { applyPlan, createPlan } from '../../policies/apply';
import type { PlanStep } from '../../policies/plan';
import { getPolicy, listPolicies, listPolicyVersions, presentPolicyVersion, savePolicy } from '../../policies/store';
import type { RouteTable } from '../route';

const planDeps = (deps: AppDeps) => ({
  knex: deps.db.knex,
  log: deps.log,
  secretBox: deps.secretBox,
  extraCaPem: deps.config.extraCaPem,
});

export const policyRoutes = {
  listPolicies: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ deps }) {
      return { status: 200, body: { items: (await listPolicies(deps.db.knex)).map(presentPolicyVersion) } };
    },
  },

  getPolicy: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps, koa }) {
      const version = await getPolicy(deps.db.knex, input.params.name, input.query.version);
      koa.set('ETag', `"${version.version}"`);
      return { status: 200, body: presentPolicyVersion(version) };
    },
  },

  putPolicy: {
    roles: ['admin', 'automation'],
    auditAction: 'policy.update',
    async handler({ input, deps, by, koa }) {
      const ifMatch = koa.get('if-match');
      const result = await savePolicy(
        deps.db.knex,
        input.params.name,
        { ...input.body, expectedVersion: ifMatch ? Number(ifMatch.replace(/"/g, '')) : undefined },
        by,
      );
      koa.set('ETag', `"${result.saved.version}"`);
      return {
        status: result.created ? 201 : 200,
        body: { ...presentPolicyVersion(result.saved), changed: result.changed },
      };
    },
  },

  planPolicy: {
    roles: ['admin', 'automation'],
    auditAction: 'policy.plan',
    async handler({ input, deps, by }) {
      const plan = await createPlan(planDeps(deps), input.params.name, by, input.body);
      return {
        status: 201,
        body: {
          id: plan.id,
          policy: plan.policy,
          policyVersion: plan.policyVersion,
          proposed: plan.proposed,
          hash: plan.hash,
          createdAt: plan.createdAt.toISOString(),
          // The desired native objects stay in the kept plan; the answer shows the difference.
          connections: plan.connections.map((c) => ({
            ...c,
            steps: c.steps.map(({ desired: _desired, ...step }: PlanStep & { desired?: unknown }) => step),
          })),
        },
      };
    },
  },

  applyPolicy: {
    roles: ['admin', 'automation'],
    auditAction: 'policy.apply',
    async handler({ input, deps, by }) {
      const applied = await applyPlan(planDeps(deps), input.params.name, input.body.planId, input.body.hash, by);
      return { status: 200, body: { planId: input.body.planId, ...applied } };
    },
  },

  listPolicyVersions: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      return {
        status: 200,
        body: { items: (await listPolicyVersions(deps.db.knex, input.params.name)).map(presentPolicyVersion) },
      };
    },
  },
} satisfies RouteTable;
