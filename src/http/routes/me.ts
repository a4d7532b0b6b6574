// /v1/me: who the calling token is, so a client (the dashboard) can show who signed in and offer only what the
// role allows.
import type { RouteTable } from '../route';

export const meRoutes = {
  getSelf: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ principal }) {
      const { tokenId, name, role } = principal!;
      return { status: 200, body: { tokenId, name, role } };
    },
  },
} satisfies RouteTable;
