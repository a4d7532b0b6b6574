// /v1/devices: the inventory every sync keeps, across connections.
import type { Device } from '../../inventory/devices';
import { getDevice, listDevices } from '../../inventory/devices';
import type { components } from '../api-types';
import type { RouteTable } from '../route';

type Schemas = components['schemas'];
const iso = (date: Date | null) => date?.toISOString() ?? null;

export function presentDevice(device: Device): Schemas['Device'] {
  return {
    ...device,
    enrolledAt: iso(device.enrolledAt),
    lastCheckInAt: iso(device.lastCheckInAt),
    firstSeenAt: device.firstSeenAt.toISOString(),
    lastSeenAt: iso(device.lastSeenAt),
    goneAt: iso(device.goneAt),
  };
}

export const deviceRoutes = {
  listDevices: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const {
        connection,
        platform,
        ownership,
        compliance,
        user,
        hasApp,
        includeGone,
        state,
        sort = 'name',
        limit = 100,
        cursor,
      } = input.query;
      const page = await listDevices(
        deps.db.knex,
        { connectionId: connection, platform, ownership, compliance, user, hasApp, includeGone, state },
        { sort, limit, cursor },
      );
      return { status: 200, body: { items: page.devices.map(presentDevice), nextCursor: page.nextCursor } };
    },
  },

  getDevice: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const { device, apps, history, native } = await getDevice(deps.db.knex, input.params.id);
      return {
        status: 200,
        body: {
          ...presentDevice(device),
          native,
          apps: apps.map((a) => ({
            ...a,
            firstSeenAt: a.firstSeenAt.toISOString(),
            removedAt: iso(a.removedAt),
          })),
          history: history.map((h) => ({ ...h, observedAt: h.observedAt.toISOString() })),
        },
      };
    },
  },
} satisfies RouteTable;
