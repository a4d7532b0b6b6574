// /v1/posture: the fleet's standing (summary), its history (trend), from the aggregates the evaluation keeps.
import { readPostureSummaryJson, readPostureTrend } from '../../posture/summary';
import type { RouteTable } from '../route';

export const postureRoutes = {
  getPostureSummary: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ deps }) {
      const { summary, prepared } = await readPostureSummaryJson(deps.db.knex, {
        cacheMs: deps.config.posture.cacheMs,
      });
      return { status: 200, body: summary, prepared };
    },
  },

  getPostureTrend: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      return { status: 200, body: await readPostureTrend(deps.db.knex, input.query.days ?? 90) };
    },
  },
} satisfies RouteTable;
