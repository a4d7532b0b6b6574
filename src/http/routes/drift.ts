// /v1/drift: whether each MDM still holds what each policy applied there, and "check now".
import { appendAudit } from '../../audit/store';
import type { DriftCheck } from '../../policies/drift-check';
import { type DriftView, driftHistory, latestDrift } from '../../policies/drift-store';
import { getPolicy } from '../../policies/store';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

function present(view: DriftView): components['schemas']['DriftCheck'] {
  const body: components['schemas']['DriftCheck'] = {
    id: view.id,
    policy: view.policy,
    connectionId: view.connectionId,
    connectionName: view.connectionName,
    checkedAt: view.checkedAt.toISOString(),
    policyVersion: view.policyVersion,
    status: view.status,
    summary: view.summary,
    events: view.events,
    error: view.error,
    remediation: view.remediation,
  };
  if (view.lastKnown !== undefined) {
    const last: Pick<DriftCheck, 'id' | 'checkedAt' | 'status' | 'summary' | 'events'> | null = view.lastKnown;
    body.lastKnown = last && { ...last, checkedAt: last.checkedAt.toISOString() };
  }
  return body;
}

export const driftRoutes = {
  listDrift: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const { policy, connection, status, history = false, limit = 100, cursor } = input.query;
      const filter = { policy, connectionId: connection, status };
      if (!history) {
        const items = (await latestDrift(deps.db.knex, filter)).map(present);
        return { status: 200, body: { items, nextCursor: null } };
      }
      const page = await driftHistory(deps.db.knex, filter, { limit, cursor });
      return { status: 200, body: { items: page.checks.map(present), nextCursor: page.nextCursor } };
    },
  },

  checkDrift: {
    roles: ['admin', 'automation'],
    auditAction: 'drift.check-request',
    async handler({ input, deps, by }) {
      const policy = input.body?.policy;
      if (policy) await getPolicy(deps.db.knex, policy);
      // Queued through agenda's own connection, outside the audit's transaction (see syncConnection).
      const jobId = await deps.queue.runNow('drift-check', policy ? { policy } : {});
      await deps.db.knex.transaction((trx) =>
        appendAudit(trx, {
          actor: by.actor,
          action: 'drift.check-request',
          target: policy ? { type: 'policy', id: policy } : { type: 'drift', id: null },
          requestId: by.requestId,
          details: { jobId },
        }),
      );
      return { status: 202, body: { jobId } };
    },
  },
} satisfies RouteTable;
