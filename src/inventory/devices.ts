// Reading the inventory: device pages with filters and keyset pagination over a few sort orders, and one
// device with its watched apps and its history of observed changes.
import type { Knex } from 'knex';
import { AppError, notFound } from '../errors';
import type { Severity } from '../findings/rules';
import type { AppScope, Compliance, EnrollmentMode, NormalizedDevice, Ownership, Platform } from '../mdm/connector';
import { type DeviceState, deviceState } from '../posture/aggregate';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');

/** A device as stored: the connector's normalised view (without the MDM record) and what Warden tracks. */
export interface Device extends Omit<NormalizedDevice, 'native'> {
  id: string;
  connectionId: string;
  firstSeenAt: Date;
  /** The end of the last complete sync that found it; null until one has. */
  lastSeenAt: Date | null;
  goneAt: Date | null;
  /** Where the device stands now: its open findings and Warden's state (see deviceState). */
  posture: { state: DeviceState; openFindings: number; worstSeverity: Severity | null };
}

export interface DeviceApp {
  identifier: string;
  appExternalId: string;
  displayName: string | null;
  version: string | null;
  scope: AppScope;
  firstSeenAt: Date;
  removedAt: Date | null;
}

export interface DeviceChange {
  syncRunId: number;
  observedAt: Date;
  change: 'changed' | 'gone' | 'returned';
  fields: Record<string, [unknown, unknown]>;
}

export interface DeviceFilter {
  connectionId?: string;
  platform?: Platform;
  ownership?: Ownership;
  compliance?: Compliance;
  /** A user principal name (any case) or the MDM's user id. */
  user?: string;
  /** Devices holding this app identifier now. */
  hasApp?: string;
  includeGone?: boolean;
  state?: DeviceState;
}

export type DeviceSort = 'name' | '-name' | 'lastCheckInAt' | '-lastCheckInAt';

/**
 * Each sort's key as an expression that is never null, matching the indexes of the inventory migration; decode
 * gives undefined for a cursor value PostgreSQL could not compare (which no cursor this API made holds).
 */
const SORT_KEYS: Record<'name' | 'lastCheckInAt', { expression: string; decode: (value: string) => unknown }> = {
  name: { expression: "coalesce(name, '')", decode: (v) => (v.includes('\u0000') ? undefined : v) },
  lastCheckInAt: {
    expression: "coalesce(last_check_in_at, 'epoch'::timestamptz)",
    decode: (v) => (Date.parse(v) >= EARLIEST ? new Date(v) : undefined),
  },
};

interface DeviceRow {
  id: string;
  connection_id: string;
  external_id: string;
  name: string | null;
  platform: Platform;
  os_version: string | null;
  model: string | null;
  manufacturer: string | null;
  serial_number: string | null;
  ownership: Ownership;
  enrollment_mode: EnrollmentMode;
  supervised: boolean | null;
  encrypted: boolean | null;
  jailbroken: boolean | null;
  compliance: Compliance;
  management_state: string | null;
  user_external_id: string | null;
  user_principal_name: string | null;
  user_display_name: string | null;
  user_email: string | null;
  enrolled_at: Date | null;
  last_check_in_at: Date | null;
  first_seen_at: Date;
  last_seen_at: Date | null;
  gone_at: Date | null;
  open_findings: number;
  worst_severity: Severity | null;
  /** The current sort's key, selected for the next cursor. */
  sort_key?: string | Date;
  native?: Record<string, unknown>;
}

function fromRow(row: DeviceRow): Device {
  return {
    id: row.id,
    connectionId: row.connection_id,
    externalId: row.external_id,
    name: row.name,
    platform: row.platform,
    osVersion: row.os_version,
    model: row.model,
    manufacturer: row.manufacturer,
    serialNumber: row.serial_number,
    ownership: row.ownership,
    enrollmentMode: row.enrollment_mode,
    supervised: row.supervised,
    encrypted: row.encrypted,
    jailbroken: row.jailbroken,
    compliance: row.compliance,
    managementState: row.management_state,
    user: {
      externalId: row.user_external_id,
      principalName: row.user_principal_name,
      displayName: row.user_display_name,
      email: row.user_email,
    },
    enrolledAt: row.enrolled_at,
    lastCheckInAt: row.last_check_in_at,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    goneAt: row.gone_at,
    posture: {
      state: row.gone_at ? 'gone' : deviceState({ compliance: row.compliance }, row.open_findings),
      openFindings: row.open_findings,
      worstSeverity: row.worst_severity,
    },
  };
}

/**
 * A device not gone was last seen by its connection's last complete sync (if that sync came after it first
 * appeared); a gone device keeps its own last sighting (see markUnseen).
 */
const DEVICE_COLUMNS = `id, connection_id, external_id, name, platform, os_version, model, manufacturer, serial_number, ownership,
  enrollment_mode, supervised, encrypted, jailbroken, compliance, management_state, user_external_id, user_principal_name,
  user_display_name, user_email, enrolled_at, last_check_in_at, first_seen_at, gone_at,
  case when gone_at is not null then last_seen_at
    else (select c.last_complete_sync_at from connections c
          where c.id = devices.connection_id and c.last_complete_sync_at >= devices.first_seen_at)
  end as last_seen_at,
  (select count(*)::int from findings f where f.device_id = devices.id and f.resolved_at is null) as open_findings,
  (select f.severity from findings f where f.device_id = devices.id and f.resolved_at is null
    order by array_position(array['critical', 'high', 'medium', 'low'], f.severity) limit 1) as worst_severity`;

const HAS_OPEN_FINDING = 'exists (select 1 from findings f where f.device_id = devices.id and f.resolved_at is null)';

/** Warden's device states as conditions on the devices table (the SQL twin of deviceState). */
const STATE_CONDITIONS: Record<DeviceState, string> = {
  gone: 'gone_at is not null',
  noncompliant: `gone_at is null and (${HAS_OPEN_FINDING} or compliance in ('noncompliant', 'in-grace-period'))`,
  unknown: `gone_at is null and not ${HAS_OPEN_FINDING} and compliance = 'unknown'`,
  compliant: `gone_at is null and not ${HAS_OPEN_FINDING} and compliance = 'compliant'`,
};

function encodeCursor(key: unknown, id: string): string {
  return Buffer.from(JSON.stringify([key instanceof Date ? key.toISOString() : key, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // The id is compared with a uuid column: anything else would fail in PostgreSQL, not here.
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && UUID.test(value[1]))
      return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
}

export async function listDevices(
  knex: Knex,
  filter: DeviceFilter,
  options: { sort: DeviceSort; limit: number; cursor?: string },
): Promise<{ devices: Device[]; nextCursor: string | null }> {
  const descending = options.sort.startsWith('-');
  const key = SORT_KEYS[options.sort.replace('-', '') as keyof typeof SORT_KEYS];
  const query = knex('devices')
    .select(knex.raw(`${DEVICE_COLUMNS}, ${key.expression} as sort_key`))
    .orderByRaw(`${key.expression} ${descending ? 'desc' : 'asc'}, id ${descending ? 'desc' : 'asc'}`)
    .limit(options.limit + 1);
  if (filter.state) query.whereRaw(STATE_CONDITIONS[filter.state]);
  else if (!filter.includeGone) query.whereNull('gone_at');
  if (filter.connectionId) query.where('connection_id', filter.connectionId);
  if (filter.platform) query.where('platform', filter.platform);
  if (filter.ownership) query.where('ownership', filter.ownership);
  if (filter.compliance) query.where('compliance', filter.compliance);
  if (filter.user) {
    const user = filter.user;
    query.where((w) => w.whereRaw('lower(user_principal_name) = lower(?)', [user]).orWhere('user_external_id', user));
  }
  if (filter.hasApp) {
    query.whereExists(
      knex('device_apps')
        .select(knex.raw('1'))
        .whereRaw('device_apps.device_id = devices.id')
        .where('identifier', filter.hasApp)
        .whereNull('removed_at'),
    );
  }
  if (options.cursor) {
    const [value, id] = decodeCursor(options.cursor);
    const decoded = key.decode(value);
    if (decoded === undefined)
      throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
    query.whereRaw(`(${key.expression}, id) ${descending ? '<' : '>'} (?, ?)`, [decoded as string, id]);
  }
  const rows: DeviceRow[] = await query;
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    devices: page.map(fromRow),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last.sort_key, last.id) : null,
  };
}

export async function getDevice(
  knex: Knex,
  id: string,
): Promise<{ device: Device; apps: DeviceApp[]; history: DeviceChange[]; native: Record<string, unknown> }> {
  const row: DeviceRow | undefined = await knex('devices')
    .select(knex.raw(`${DEVICE_COLUMNS}, native`))
    .where({ id })
    .first();
  if (!row) throw notFound('device', id);
  const apps = await knex('device_apps').where({ device_id: id }).orderBy(['identifier', 'app_external_id']);
  const history = await knex('device_changes').where({ device_id: id }).orderBy('id', 'desc').limit(50);
  return {
    device: fromRow(row),
    native: row.native ?? {},
    apps: apps.map((a) => ({
      identifier: a.identifier,
      appExternalId: a.app_external_id,
      displayName: a.display_name,
      version: a.version,
      scope: a.scope,
      firstSeenAt: a.first_seen_at,
      removedAt: a.removed_at,
    })),
    history: history.map((h) => ({
      syncRunId: h.sync_run_id,
      observedAt: h.observed_at,
      change: h.change,
      fields: h.fields,
    })),
  };
}
