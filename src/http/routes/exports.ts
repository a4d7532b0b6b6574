// /v1/exports: whole-fleet downloads of devices, findings and actions as CSV or JSON, for security teams and
// auditors. Each export reads through the same list function and cursor as its listing, and writes the same
// objects; the CSV columns are listed here (and in the contract).
import { listActions } from '../../actions/service';
import { listFindings } from '../../findings/store';
import { listDevices } from '../../inventory/devices';
import type { ColumnPath } from '../../util/csv';
import type { components } from '../api-types';
import { exportReply, exportStream } from '../exports';
import type { RouteTable } from '../route';
import { presentAction } from './actions';
import { presentDevice } from './devices';
import { presentFinding } from './findings';

type Schemas = components['schemas'];

const DEVICE_COLUMNS: ColumnPath<Schemas['Device']>[] = [
  'id',
  'connectionId',
  'externalId',
  'name',
  'platform',
  'osVersion',
  'model',
  'manufacturer',
  'serialNumber',
  'ownership',
  'enrollmentMode',
  'supervised',
  'encrypted',
  'jailbroken',
  'compliance',
  'managementState',
  'user.externalId',
  'user.principalName',
  'user.displayName',
  'user.email',
  'enrolledAt',
  'lastCheckInAt',
  'firstSeenAt',
  'lastSeenAt',
  'goneAt',
  'posture.state',
  'posture.openFindings',
  'posture.worstSeverity',
];

const FINDING_COLUMNS: ColumnPath<Schemas['Finding']>[] = [
  'id',
  'deviceId',
  'policy',
  'connectionId',
  'rule',
  'severity',
  'status',
  'evidence',
  'firstSeenAt',
  'lastSeenAt',
  'resolvedAt',
  'device.name',
  'device.platform',
  'device.userPrincipalName',
];

const ACTION_COLUMNS: ColumnPath<Schemas['Action']>[] = [
  'id',
  'action',
  'reason',
  'status',
  'requestedBy.type',
  'requestedBy.id',
  'requestedBy.name',
  'requestedAt',
  'breakGlass',
  'approvalsRequired',
  'approvals',
  'approvedAt',
  'sendAfter',
  'expiresAt',
  'canceledAt',
  'devices',
];

export const exportRoutes = {
  exportDevices: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const {
        format = 'json',
        connection,
        platform,
        ownership,
        compliance,
        state,
        user,
        hasApp,
        includeGone,
      } = input.query;
      const filter = { connectionId: connection, platform, ownership, compliance, state, user, hasApp, includeGone };
      const stream = await exportStream(format, DEVICE_COLUMNS, async (cursor, limit) => {
        const page = await listDevices(deps.db.knex, filter, { sort: 'name', limit, cursor });
        return { items: page.devices.map(presentDevice), nextCursor: page.nextCursor };
      });
      return exportReply('devices', format, stream);
    },
  },

  exportFindings: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const { format = 'json', status, rule, severity, device, connection } = input.query;
      const filter = { status, rule, severity, deviceId: device, connectionId: connection };
      const stream = await exportStream(format, FINDING_COLUMNS, async (cursor, limit) => {
        const page = await listFindings(deps.db.knex, filter, { limit, cursor });
        return { items: page.findings.map(presentFinding), nextCursor: page.nextCursor };
      });
      return exportReply('findings', format, stream);
    },
  },

  exportActions: {
    roles: ['admin', 'security-viewer', 'automation'],
    async handler({ input, deps }) {
      const { format = 'json' } = input.query;
      const stream = await exportStream(format, ACTION_COLUMNS, async (cursor, limit) => {
        const page = await listActions(deps.db.knex, { limit, cursor });
        return { items: page.actions.map(presentAction), nextCursor: page.nextCursor };
      });
      return exportReply('actions', format, stream);
    },
  },
} satisfies RouteTable;
