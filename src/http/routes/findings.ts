// /v1/findings: what the rules found on devices, and policy drift that alert mode reports.
import { type FindingView, listFindings } from '../../findings/store';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

type Schemas = components['schemas'];

export function presentFinding(f: FindingView): Schemas['Finding'] {
  return {
    ...f,
    device: f.device && { ...f.device, platform: f.device.platform as Schemas['Platform'] },
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
    resolvedAt: f.resolvedAt?.toISOString() ?? null,
  };
}

export const findingRoutes = {
  listFindings: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const { status, rule, severity, device, connection, limit = 100, cursor } = input.query;
      const page = await listFindings(
        deps.db.knex,
        { status, rule, severity, deviceId: device, connectionId: connection },
        { limit, cursor },
      );
      return { status: 200, body: { items: page.findings.map(presentFinding), nextCursor: page.nextCursor } };
    },
  },
} satisfies RouteTable;
