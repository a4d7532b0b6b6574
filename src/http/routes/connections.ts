// /v1/connections: connect MDM tenants, see how their syncs went, ask for a sync now.
import { appendAudit } from '../../audit/store';
import type { Connection, SyncRunSummary } from '../../connections/store';
import { createConnection, getConnection, listConnections } from '../../connections/store';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

type Schemas = components['schemas'];
const iso = (date: Date | null) => date?.toISOString() ?? null;

function presentSyncRun(run: SyncRunSummary | null): Schemas['SyncRun'] | null {
  if (!run) return null;
  return {
    id: run.id,
    trigger: run.trigger as Schemas['SyncRun']['trigger'],
    startedAt: run.startedAt.toISOString(),
    finishedAt: iso(run.finishedAt),
    outcome: run.outcome,
    counts: run.counts,
    errorKind: run.errorKind,
    error: run.error,
  };
}

export function presentConnection(connection: Connection): Schemas['Connection'] {
  return {
    id: connection.id,
    name: connection.name,
    kind: connection.kind,
    settings: connection.settings as Schemas['Connection']['settings'],
    credentials: { type: connection.credentialType as Schemas['Connection']['credentials']['type'] },
    credentialStatus: connection.credentialStatus,
    credentialError: connection.credentialError,
    syncIntervalMinutes: connection.syncIntervalMinutes,
    enabled: connection.enabled,
    nextSyncAt: iso(connection.nextSyncAt),
    createdAt: connection.createdAt.toISOString(),
    lastSync: presentSyncRun(connection.lastSync),
    lastCompleteSync: presentSyncRun(connection.lastCompleteSync),
    directory: {
      lastCompleteSyncAt: iso(connection.directory.lastCompleteSyncAt),
      lastError: connection.directory.lastError,
    },
  };
}

export const connectionRoutes = {
  listConnections: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ deps }) {
      return { status: 200, body: { items: (await listConnections(deps.db.knex)).map(presentConnection) } };
    },
  },

  createConnection: {
    roles: ['admin'],
    auditAction: 'connection.create',
    async handler({ input, deps, by }) {
      const connection = await createConnection(deps.db.knex, deps.secretBox, input.body, by);
      return { status: 201, body: presentConnection(connection) };
    },
  },

  getConnection: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      return { status: 200, body: presentConnection(await getConnection(deps.db.knex, input.params.id)) };
    },
  },

  syncConnection: {
    roles: ['admin', 'automation'],
    auditAction: 'connection.sync-request',
    async handler({ input, deps, by }) {
      const connection = await getConnection(deps.db.knex, input.params.id);
      const scope = input.body?.scope ?? 'inventory';
      // Queued through agenda's own connection, so it cannot share the audit's transaction (on the embedded
      // database a transaction must not wait on another connection). The run itself is audited when it ends.
      const jobId =
        scope === 'directory'
          ? await deps.queue.runNow('directory-sync', { connectionId: connection.id })
          : await deps.queue.runNow('connection-sync', { connectionId: connection.id, trigger: 'manual' });
      await deps.db.knex.transaction((trx) =>
        appendAudit(trx, {
          actor: by.actor,
          action: 'connection.sync-request',
          target: { type: 'connection', id: connection.id },
          requestId: by.requestId,
          details: { jobId, scope },
        }),
      );
      return { status: 202, body: { jobId, connectionId: connection.id, scope } };
    },
  },
} satisfies RouteTable;
