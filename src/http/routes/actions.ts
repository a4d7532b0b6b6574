// /v1/actions: remote wipe, retire, lock and sync, requested under the safety rules, approved, canceled, read.

import { offboard } from '../../actions/offboarding';
import type { ActionView } from '../../actions/service';
import { approveAction, cancelAction, getAction, listActions, requestAction } from '../../actions/service';
import type { AppDeps } from '../../app';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

const iso = (date: Date | null) => date?.toISOString() ?? null;
const actor = (a: ActionView['requestedBy']) => ({ type: a.type, id: a.id, name: a.name });

export function presentAction(action: ActionView): components['schemas']['Action'] {
  return {
    id: action.id,
    action: action.kind,
    reason: action.reason,
    status: action.status,
    requestedBy: actor(action.requestedBy),
    requestedAt: action.requestedAt.toISOString(),
    breakGlass: action.breakGlass,
    approvalsRequired: action.approvalsRequired,
    approvals: action.approvals.map((a) => ({ by: actor(a.by), at: a.at.toISOString() })),
    approvedAt: iso(action.approvedAt),
    sendAfter: iso(action.sendAfter),
    expiresAt: action.expiresAt.toISOString(),
    canceledAt: iso(action.canceledAt),
    devices: action.devices.map((d) => ({ ...d, sentAt: iso(d.sentAt), confirmedAt: iso(d.confirmedAt) })),
  };
}

/** Has the dispatcher run when the action is due: now, or when its cancel window ends. */
async function dispatchWhenDue(deps: AppDeps, action: ActionView): Promise<void> {
  if (!action.sendAfter || !action.devices.some((d) => d.state === 'scheduled')) return;
  if (action.sendAfter.getTime() <= Date.now()) await deps.queue.runNow('action-dispatch');
  else await deps.queue.runAt(action.sendAfter, 'action-dispatch');
}

export const actionRoutes = {
  createAction: {
    roles: ['admin', 'automation'],
    auditAction: 'action.request',
    async handler({ input, deps, by }) {
      const { action: kind, ...rest } = input.body;
      const { action, created } = await requestAction(deps.db.knex, deps.config.actions, { kind, ...rest }, by);
      if (created) await dispatchWhenDue(deps, action);
      return { status: created ? 201 : 200, body: presentAction(action) };
    },
  },

  offboardUser: {
    roles: ['admin', 'automation'],
    auditAction: 'action.request',
    async handler({ input, deps, by }) {
      const result = await offboard(deps.db.knex, deps.config.actions, input.body, by);
      if (result.action && result.created) await dispatchWhenDue(deps, result.action);
      return {
        status: result.created ? 201 : 200,
        body: {
          user: result.user,
          action: result.action && presentAction(result.action),
          automatic: result.automatic,
          remaining: result.remaining,
        },
      };
    },
  },

  listActions: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const page = await listActions(deps.db.knex, { limit: input.query.limit ?? 50, cursor: input.query.cursor });
      return { status: 200, body: { items: page.actions.map(presentAction), nextCursor: page.nextCursor } };
    },
  },

  getAction: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      return { status: 200, body: presentAction(await getAction(deps.db.knex, input.params.id)) };
    },
  },

  approveAction: {
    roles: ['admin'],
    auditAction: 'action.approve',
    async handler({ input, deps, by }) {
      const action = await approveAction(deps.db.knex, deps.config.actions, input.params.id, by);
      await dispatchWhenDue(deps, action);
      return { status: 200, body: presentAction(action) };
    },
  },

  cancelAction: {
    roles: ['admin', 'automation'],
    auditAction: 'action.cancel',
    async handler({ input, deps, by }) {
      return { status: 200, body: presentAction(await cancelAction(deps.db.knex, input.params.id, by)) };
    },
  },
} satisfies RouteTable;
