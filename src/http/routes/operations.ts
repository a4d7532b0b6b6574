// Operational endpoints: liveness, readiness, metrics and the contract itself. All public.
import { migrationStatus } from '../../db/migrate';
import { problemBody } from '../problem';
import type { RouteTable } from '../route';
import { loadSpec } from '../spec';

const READINESS_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const operationRoutes = {
  getHealth: {
    roles: 'public',
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  },

  getReadiness: {
    roles: 'public',
    async handler({ deps, koa }) {
      try {
        const status = await withTimeout(migrationStatus(deps.db.knex), READINESS_TIMEOUT_MS);
        if (status.pending.length === 0) {
          return { status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'current' } } };
        }
        const checks = { database: 'ok', migrations: 'pending', pendingMigrations: status.pending } as const;
        const detail = `${status.pending.length} migration(s) have not run; run \`warden migrate\``;
        return { status: 503, contentType: 'application/problem+json', body: notReady(koa, detail, checks) };
      } catch (error) {
        deps.log.warn({ err: error }, 'readiness check failed');
        const checks = { database: 'unreachable', migrations: 'unknown' } as const;
        return {
          status: 503,
          contentType: 'application/problem+json',
          body: notReady(koa, 'the database does not answer', checks),
        };
      }
    },
  },

  getMetrics: {
    roles: 'public',
    async handler({ deps }) {
      const body = await deps.metrics.registry.metrics();
      return { status: 200, body, contentType: 'text/plain' };
    },
  },

  getOpenApi: {
    roles: 'public',
    handler: async () => ({ status: 200, body: loadSpec().document }),
  },
} satisfies RouteTable;

type Checks = {
  database: 'ok' | 'unreachable';
  migrations: 'current' | 'pending' | 'unknown';
  pendingMigrations?: string[];
};

function notReady(koa: Parameters<typeof problemBody>[0], detail: string, checks: Checks) {
  return problemBody(koa, { kind: 'not-ready', detail, extensions: { checks } }) as {
    type: string;
    title: string;
    status: number;
    requestId: string;
    checks: Checks;
  };
}
