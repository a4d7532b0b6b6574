// /v1/posture/evidence: a signed snapshot of posture, policies, open findings and the audit chain for auditors.
import { createPostureEvidence } from '../../posture/evidence';
import type { RouteTable } from '../route';

export const evidenceRoutes = {
  getPostureEvidence: {
    roles: ['admin', 'security-viewer'],
    async handler({ deps }) {
      return { status: 200, body: await createPostureEvidence(deps.db.knex, deps.config.evidenceSigner) };
    },
  },
} satisfies RouteTable;
