// Writing a sync's findings: one statement per page of devices (upsert plus the history of what changed),
// one per page of app hits, and, only after a complete sync, marking what was not seen as gone. Set-based
// SQL throughout: a page of 1,000 devices is one round trip. A connection's first sync, when every device is
// new, streams its pages in with COPY instead (copyNewDevicePage).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AppHit, NormalizedDevice } from '../mdm/connector';

/** Device columns whose changes are recorded in device_changes (check-in time changes every sync: not history). */
const TRACKED = [
  'name',
  'platform',
  'os_version',
  'model',
  'serial_number',
  'ownership',
  'enrollment_mode',
  'supervised',
  'encrypted',
  'jailbroken',
  'compliance',
  'management_state',
  'user_external_id',
  'user_principal_name',
] as const;

const COLUMNS: Record<string, string> = {
  external_id: 'text',
  name: 'text',
  platform: 'text',
  os_version: 'text',
  model: 'text',
  manufacturer: 'text',
  serial_number: 'text',
  ownership: 'text',
  enrollment_mode: 'text',
  supervised: 'boolean',
  encrypted: 'boolean',
  jailbroken: 'boolean',
  compliance: 'text',
  management_state: 'text',
  user_external_id: 'text',
  user_principal_name: 'text',
  user_display_name: 'text',
  user_email: 'text',
  enrolled_at: 'timestamptz',
  last_check_in_at: 'timestamptz',
  native: 'json',
};
const NAMES = Object.keys(COLUMNS);
/** json has no equality operator; its text is comparable, since the MDM sends properties in a stable order. */
const comparable = (column: string) => (COLUMNS[column] === 'json' ? `${column}::text` : column);
const RECORDSET = `json_to_recordset(cast(:devices as json)) as x(${NAMES.map((n) => `${n} ${COLUMNS[n]}`).join(', ')})`;
const DIFF = `jsonb_strip_nulls(jsonb_build_object(${TRACKED.map(
  (c) => `'${c}', case when p.${c} is distinct from i.${c} then jsonb_build_array(p.${c}, i.${c}) end`,
).join(', ')}))`;
const CHANGED = TRACKED.map((c) => `p.${c} is distinct from i.${c}`).join(' or ');

// Only new devices, devices whose record changed and devices coming back are written: an unchanged device
// costs an index lookup, not a new row version. Presence is recorded by the caller (see markUnseen).
const UPSERT_DEVICES = `
with incoming as (select * from ${RECORDSET}),
previous as (
  select d.external_id, d.gone_at, ${TRACKED.map((c) => `d.${c}`).join(', ')}
  from devices d join incoming i on d.connection_id = :connection and d.external_id = i.external_id
),
upserted as (
  insert into devices (connection_id, ${NAMES.join(', ')}, first_seen_at)
  select :connection, ${NAMES.map((n) => `i.${n}`).join(', ')}, :now from incoming i
  on conflict (connection_id, external_id) do update set
    ${NAMES.filter((n) => n !== 'external_id')
      .map((n) => `${n} = excluded.${n}`)
      .join(', ')},
    gone_at = null, last_seen_at = null
  where devices.gone_at is not null
    or (${NAMES.map((n) => `devices.${comparable(n)}`).join(', ')})
      is distinct from (${NAMES.map((n) => `excluded.${comparable(n)}`).join(', ')})
  returning id, external_id, (xmax = 0) as inserted
),
changes as (
  insert into device_changes (device_id, sync_run_id, observed_at, change, fields)
  select u.id, :run, :now, case when p.gone_at is not null then 'returned' else 'changed' end, ${DIFF}
  from upserted u
  join incoming i on i.external_id = u.external_id
  join previous p on p.external_id = u.external_id
  where p.gone_at is not null or ${CHANGED}
  returning change
)
select
  (select count(*) from upserted where inserted) as appeared,
  (select count(*) from changes where change = 'changed') as changed,
  (select count(*) from changes where change = 'returned') as returned`;

export interface DevicePageCounts {
  /** Devices in the page (each id once). */
  seen: number;
  appeared: number;
  changed: number;
  returned: number;
}

function row(device: NormalizedDevice): Record<string, unknown> {
  return {
    external_id: device.externalId,
    name: device.name,
    platform: device.platform,
    os_version: device.osVersion,
    model: device.model,
    manufacturer: device.manufacturer,
    serial_number: device.serialNumber,
    ownership: device.ownership,
    enrollment_mode: device.enrollmentMode,
    supervised: device.supervised,
    encrypted: device.encrypted,
    jailbroken: device.jailbroken,
    compliance: device.compliance,
    management_state: device.managementState,
    user_external_id: device.user.externalId,
    user_principal_name: device.user.principalName,
    user_display_name: device.user.displayName,
    user_email: device.user.email,
    enrolled_at: device.enrolledAt?.toISOString() ?? null,
    last_check_in_at: device.lastCheckInAt?.toISOString() ?? null,
    native: device.native,
  };
}

export async function upsertDevicePage(
  knex: Knex,
  connectionId: string,
  runId: number,
  page: NormalizedDevice[],
  now = new Date(),
): Promise<DevicePageCounts> {
  if (page.length === 0) return { seen: 0, appeared: 0, changed: 0, returned: 0 };
  // Within one page an id appearing twice would make the upsert touch a row twice (an error): keep the last.
  const unique = [...new Map(page.map((d) => [d.externalId, d])).values()];
  const result = await knex.raw(UPSERT_DEVICES, {
    devices: JSON.stringify(unique.map(row)),
    connection: connectionId,
    run: runId,
    now,
  });
  const counts = result.rows[0];
  return {
    seen: unique.length,
    appeared: Number(counts.appeared),
    changed: Number(counts.changed),
    returned: Number(counts.returned),
  };
}

/** One value in COPY's text format: \\N for null, backslash escapes for the characters the format reserves. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[\\\n\r\t]/.test(text)
    ? text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
    : text;
}

const UNIQUE_VIOLATION = '23505';

/**
 * A page of devices none of which the connection holds yet (its first sync), streamed into devices with COPY:
 * no upsert to decide and no history to write (a first sighting has none), which spares PostgreSQL parsing the
 * page as one JSON document. Returns null, having written nothing, when one of the devices was stored meanwhile
 * (COPY is all or nothing): the caller then upserts the page.
 */
export async function copyNewDevicePage(
  knex: Knex,
  connectionId: string,
  page: NormalizedDevice[],
  now = new Date(),
): Promise<DevicePageCounts | null> {
  const unique = [...new Map(page.map((d) => [d.externalId, d])).values()];
  if (unique.length === 0) return { seen: 0, appeared: 0, changed: 0, returned: 0 };
  const suffix = `\t${copyField(now.toISOString())}\n`;
  const lines = unique.map((device) => {
    const values = row(device);
    return `${connectionId}\t${NAMES.map((name) => copyField(values[name])).join('\t')}${suffix}`;
  });
  const client = knex.client as {
    acquireConnection(): Promise<pg.Client>;
    releaseConnection(c: pg.Client): Promise<void>;
  };
  const connection = await client.acquireConnection();
  try {
    await pipeline(
      Readable.from([lines.join('')]),
      connection.query(copyFrom(`copy devices (connection_id, ${NAMES.join(', ')}, first_seen_at) from stdin`)),
    );
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
    throw error;
  } finally {
    await client.releaseConnection(connection);
  }
  return { seen: unique.length, appeared: unique.length, changed: 0, returned: 0 };
}

// Like devices: only new hits, changed ones and apps coming back are written.
const UPSERT_APPS = `
with incoming as (
  select * from jsonb_to_recordset(?::jsonb) as x(
    device_external_id text, app_external_id text, identifier text, display_name text, version text, scope text)
),
matched as (
  select d.id as device_id, i.* from incoming i join devices d on d.connection_id = ? and d.external_id = i.device_external_id
),
written as (
  insert into device_apps (device_id, app_external_id, identifier, display_name, version, scope, first_seen_at, removed_at)
  select device_id, app_external_id, identifier, display_name, version, scope, ?, null from matched
  on conflict (device_id, app_external_id) do update set identifier = excluded.identifier,
    display_name = excluded.display_name, version = excluded.version, scope = excluded.scope, removed_at = null
  where device_apps.removed_at is not null
    or (device_apps.identifier, device_apps.display_name, device_apps.version, device_apps.scope)
      is distinct from (excluded.identifier, excluded.display_name, excluded.version, excluded.scope)
  returning 1
)
select (select count(*) from matched) as matched`;

/** Records app hits; returns how many matched a device of this connection (a hit on a device enrolled since the listing does not). */
export async function upsertAppHits(
  knex: Knex,
  connectionId: string,
  hits: AppHit[],
  now = new Date(),
): Promise<number> {
  if (hits.length === 0) return 0;
  const rows = hits.map((h) => ({
    device_external_id: h.deviceExternalId,
    app_external_id: h.appExternalId,
    identifier: h.identifier,
    display_name: h.displayName,
    version: h.version,
    scope: h.scope,
  }));
  const result = await knex.raw(UPSERT_APPS, [JSON.stringify(rows), connectionId, now]);
  return Number(result.rows[0].matched);
}

/** MDM ids are URL-safe tokens, so a space cannot occur inside one (and PostgreSQL text cannot hold NUL). */
const appKey = (deviceExternalId: string, appExternalId: string) => `${deviceExternalId} ${appExternalId}`;

/** What a sync saw, kept in memory until it is known to be complete. */
export class Presence {
  readonly devices = new Set<string>();
  readonly apps = new Set<string>();

  addDevices(page: readonly NormalizedDevice[]): void {
    for (const device of page) this.devices.add(device.externalId);
  }

  addApps(hits: readonly AppHit[]): void {
    for (const hit of hits) this.apps.add(appKey(hit.deviceExternalId, hit.appExternalId));
  }
}

/**
 * After a complete sync only: devices it did not see are marked gone (never deleted) and keep, as their last
 * sighting, the previous complete sync (or their first sighting, if no complete sync had found them); watched apps it did not see on a device are marked removed. The
 * connection records this sync as its last complete one.
 */
export async function markUnseen(
  trx: Knex.Transaction,
  connectionId: string,
  runId: number,
  presence: Presence,
  now = new Date(),
  /** Called before any device is marked gone; it throws to keep them all (the sync's shrink guard). */
  beforeMarkingGone: (unseen: number, present: number) => void = () => {},
): Promise<{ gone: number; appsRemoved: number }> {
  const previous = await trx('connections').where({ id: connectionId }).first('last_complete_sync_at');
  // NOT IN over an uncorrelated subquery is hashed once; a correlated NOT EXISTS over unnest() rescanned the whole
  // array for every device (seconds for 10,000). Every device this sync saw is stored as not gone, so when the not-gone count equals what it saw, nothing
  // went unseen and the anti-join (a scan of the whole fleet) can be skipped. The same holds for apps.
  const [{ present }] = await trx('devices')
    .where({ connection_id: connectionId })
    .whereNull('gone_at')
    .count({ present: '*' });
  const unseen = Number(present) - presence.devices.size;
  if (unseen > 0) beforeMarkingGone(unseen, Number(present));
  const gone =
    unseen === 0
      ? { rowCount: 0 }
      : await trx.raw(
          `with gone as (
             update devices d set gone_at = ?, last_seen_at = greatest(coalesce(?, d.first_seen_at), d.first_seen_at)
             where d.connection_id = ? and d.gone_at is null
               and d.external_id not in (select unnest(?::text[]))
             returning d.id
           )
           insert into device_changes (device_id, sync_run_id, observed_at, change, fields)
           select id, ?, ?, 'gone', '{}'::jsonb from gone`,
          [now, previous?.last_complete_sync_at ?? null, connectionId, [...presence.devices], runId, now],
        );
  const [{ held }] = await trx('device_apps as a')
    .join('devices as d', 'd.id', 'a.device_id')
    .where('d.connection_id', connectionId)
    .whereNull('a.removed_at')
    .count({ held: '*' });
  const removed =
    Number(held) === presence.apps.size
      ? { rowCount: 0 }
      : await trx.raw(
          `update device_apps a set removed_at = ? from devices d
           where a.device_id = d.id and d.connection_id = ? and a.removed_at is null
             and d.external_id || ' ' || a.app_external_id not in (select unnest(?::text[]))`,
          [now, connectionId, [...presence.apps]],
        );
  await trx('connections').where({ id: connectionId }).update({ last_complete_sync_at: now });
  return { gone: gone.rowCount ?? 0, appsRemoved: removed.rowCount ?? 0 };
}
