// Directory sync of one connection: every user of the directory behind the MDM, written page by page (only
// new and changed users), and, only after a complete listing, users it no longer holds marked deleted. Like the
// inventory, a failed listing concludes nothing: no one is marked deleted because a page was missing. A 401/403
// marks the credential broken; a 429 or 5xx never does. Departed owners are then found by the device rules.
// An MDM without a directory of its own (its connector's hasDirectory is false: Jamf Pro, Android Management)
// is skipped: nothing is listed, nothing recorded as failed, the credential left as it is.
import type { Knex } from 'knex';
import { appendAudit } from '../audit/store';
import { SYSTEM_ACTOR } from '../auth/roles';
import type { SecretBox } from '../connections/secret-box';
import { loadConnectorDefinition, setCredentialStatus } from '../connections/store';
import type { Logger } from '../log';
import { type ConnectorOptions, createConnector } from '../mdm';
import type { DirectoryUser, MdmConnector } from '../mdm/connector';
import { MdmError } from '../mdm/errors';

export interface DirectorySyncDeps {
  knex: Knex;
  log: Logger;
  secretBox: SecretBox | null;
  extraCaPem: string | null;
  connectorOptions?: Partial<ConnectorOptions>;
}

export interface DirectoryCounts {
  users: number;
  appeared: number;
  changed: number;
  deleted: number;
  requests: number;
}

export type DirectorySyncResult =
  | { outcome: 'succeeded'; counts: DirectoryCounts }
  | { outcome: 'failed'; counts: DirectoryCounts; errorKind: string; error: string }
  | { outcome: 'skipped'; counts: DirectoryCounts; reason: string };

const UPSERT_USERS = `
with incoming as (
  select * from jsonb_to_recordset(?::jsonb) as x(external_id text, principal_name text, display_name text, enabled boolean)
),
written as (
  insert into directory_users (connection_id, external_id, principal_name, display_name, enabled, first_seen_at, changed_at)
  select ?, external_id, principal_name, display_name, enabled, ?, ? from incoming
  on conflict (connection_id, external_id) do update set principal_name = excluded.principal_name,
    display_name = excluded.display_name, enabled = excluded.enabled, changed_at = excluded.changed_at, deleted_at = null
  where directory_users.deleted_at is not null
    or (directory_users.principal_name, directory_users.display_name, directory_users.enabled)
      is distinct from (excluded.principal_name, excluded.display_name, excluded.enabled)
  returning (xmax = 0) as inserted
)
select (select count(*) from written where inserted) as appeared,
       (select count(*) from written where not inserted) as changed`;

async function writeUsers(
  knex: Knex,
  connectionId: string,
  page: readonly DirectoryUser[],
  now: Date,
): Promise<{ appeared: number; changed: number }> {
  const rows = [...new Map(page.map((u) => [u.externalId, u])).values()].map((u) => ({
    external_id: u.externalId,
    principal_name: u.principalName,
    display_name: u.displayName,
    enabled: u.enabled,
  }));
  if (rows.length === 0) return { appeared: 0, changed: 0 };
  const result = await knex.raw(UPSERT_USERS, [JSON.stringify(rows), connectionId, now, now]);
  return { appeared: Number(result.rows[0].appeared), changed: Number(result.rows[0].changed) };
}

/** After a complete listing only: users it did not hold are deleted (kept, marked, never erased). */
async function markDeleted(trx: Knex.Transaction, connectionId: string, seen: ReadonlySet<string>, now: Date) {
  const [{ present }] = await trx('directory_users')
    .where({ connection_id: connectionId })
    .whereNull('deleted_at')
    .count({ present: '*' });
  if (Number(present) === seen.size) return 0;
  const result = await trx.raw(
    `update directory_users set deleted_at = ?, changed_at = ?
     where connection_id = ? and deleted_at is null and external_id not in (select unnest(?::text[]))`,
    [now, now, connectionId, [...seen]],
  );
  return result.rowCount ?? 0;
}

export async function syncDirectory(
  deps: DirectorySyncDeps,
  connectionId: string,
  options: { signal?: AbortSignal; touch?: () => Promise<void> } = {},
): Promise<DirectorySyncResult> {
  const { knex } = deps;
  const { connection, definition } = await loadConnectorDefinition(knex, deps.secretBox, connectionId);
  const log = deps.log.child({ connectionId });
  const counts: DirectoryCounts = { users: 0, appeared: 0, changed: 0, deleted: 0, requests: 0 };
  let connector: MdmConnector | null = null;
  const started = new Date();
  try {
    connector = createConnector(definition, { log, caPem: deps.extraCaPem ?? undefined, ...deps.connectorOptions });
    if (!connector.hasDirectory) {
      const reason = `${connection.kind} has no directory Warden can read`;
      log.info({ kind: connection.kind }, 'directory sync skipped: the MDM has no directory');
      return { outcome: 'skipped', counts, reason };
    }
    const seen = new Set<string>();
    for await (const page of connector.listUsers({ signal: options.signal })) {
      for (const user of page) seen.add(user.externalId);
      const written = await writeUsers(knex, connectionId, page, started);
      counts.users += page.length;
      counts.appeared += written.appeared;
      counts.changed += written.changed;
      await options.touch?.();
    }
    counts.requests = connector.stats().requests;
    await knex.transaction(async (trx) => {
      const completedAt = new Date();
      counts.deleted = await markDeleted(trx, connectionId, seen, completedAt);
      await trx('connections')
        .where({ id: connectionId })
        .update({ last_directory_sync_at: completedAt, last_directory_sync_error: null });
      await appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: 'directory.sync',
        target: { type: 'connection', id: connectionId },
        details: { counts },
      });
    });
    log.info({ counts }, 'directory sync succeeded');
    return { outcome: 'succeeded', counts };
  } catch (error) {
    const kind = error instanceof MdmError ? error.kind : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    counts.requests = connector?.stats().requests ?? 0;
    log.warn({ err: error, counts }, 'directory sync failed; no user was marked deleted');
    await knex.transaction(async (trx) => {
      await trx('connections')
        .where({ id: connectionId })
        .update({ last_directory_sync_error: `${kind}: ${message}` });
      if (error instanceof MdmError && error.credentialBroken)
        await setCredentialStatus(trx, connection, 'broken', message, SYSTEM_ACTOR);
      await appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: 'directory.sync',
        outcome: 'failure',
        target: { type: 'connection', id: connectionId },
        details: { counts, errorKind: kind, error: message },
      });
    });
    return { outcome: 'failed', counts, errorKind: kind, error: message };
  }
}

/**
 * SQL over devices `d`, their connection `c` and their directory user `u` (left-joined on the connection and
 * d.user_external_id): the owner's standing. A user missing from a complete listing made after the device was
 * first seen has been deleted; one missing from an older listing may simply be newer than it.
 */
export const OWNER_STATE_SQL = `case
  when d.user_external_id is null then 'unknown'
  when u.deleted_at is not null then 'deleted'
  when u.external_id is not null then case when u.enabled then 'active' else 'disabled' end
  when c.last_directory_sync_at > d.first_seen_at then 'deleted'
  else 'unknown' end`;
