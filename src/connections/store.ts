// MDM connections: what Warden needs to reach one MDM tenant. Settings (tenant, client id, hosts) are stored
// in the clear; credentials are sealed with the secret box and never leave this module except as the
// connector definition handed to the worker. Every change is audited in its transaction.
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { AppError, notFound } from '../errors';
import type { ConnectorDefinition, MdmKind } from '../mdm';
import { NO_SECRET_KEY } from './keys';
import type { SecretBox } from './secret-box';

export type CredentialStatus = 'unverified' | 'ok' | 'broken';

export interface SyncRunSummary {
  id: number;
  trigger: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: 'running' | 'succeeded' | 'failed';
  counts: Record<string, number>;
  errorKind: string | null;
  error: string | null;
}

export interface Connection {
  id: string;
  name: string;
  kind: MdmKind;
  settings: Record<string, unknown>;
  credentialType: string;
  credentialStatus: CredentialStatus;
  credentialError: string | null;
  syncIntervalMinutes: number;
  enabled: boolean;
  nextSyncAt: Date | null;
  createdAt: Date;
  lastSync: SyncRunSummary | null;
  lastCompleteSync: SyncRunSummary | null;
  /** The directory behind the MDM: when it was last listed completely, and why the latest listing failed. */
  directory: { lastCompleteSyncAt: Date | null; lastError: string | null };
}

export interface CreateConnectionInput {
  name: string;
  kind: MdmKind;
  settings: Record<string, unknown>;
  credentials: { type: string } & Record<string, unknown>;
  syncIntervalMinutes?: number;
}

interface ConnectionRow {
  id: string;
  name: string;
  kind: MdmKind;
  settings: Record<string, unknown>;
  credentials_sealed: string;
  credential_type: string;
  credential_status: CredentialStatus;
  credential_error: string | null;
  sync_interval_minutes: number;
  enabled: boolean;
  next_sync_at: Date | null;
  created_at: Date;
  last_directory_sync_at: Date | null;
  last_directory_sync_error: string | null;
}

interface SyncRunRow {
  id: number;
  connection_id: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: SyncRunSummary['outcome'];
  counts: Record<string, number>;
  error_kind: string | null;
  error: string | null;
}

export function syncRunFromRow(row: SyncRunRow): SyncRunSummary {
  return {
    id: row.id,
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    counts: row.counts,
    errorKind: row.error_kind,
    error: row.error,
  };
}

const PUBLIC_COLUMNS = [
  'id',
  'name',
  'kind',
  'settings',
  'credential_type',
  'credential_status',
  'credential_error',
  'sync_interval_minutes',
  'enabled',
  'next_sync_at',
  'created_at',
  'last_directory_sync_at',
  'last_directory_sync_error',
];

/** The latest run and the latest successful run of each connection, in one query. */
async function lastRuns(
  knex: Knex,
  connectionIds: string[],
): Promise<Map<string, { last?: SyncRunRow; complete?: SyncRunRow }>> {
  const runs = new Map<string, { last?: SyncRunRow; complete?: SyncRunRow }>();
  if (connectionIds.length === 0) return runs;
  const rows: Array<SyncRunRow & { kind: 'last' | 'complete' }> = (
    await knex.raw(
      `select distinct on (connection_id) 'last' as kind, * from sync_runs where connection_id = any(?) order by connection_id, id desc`,
      [connectionIds],
    )
  ).rows.concat(
    (
      await knex.raw(
        `select distinct on (connection_id) 'complete' as kind, * from sync_runs
         where connection_id = any(?) and outcome = 'succeeded' order by connection_id, id desc`,
        [connectionIds],
      )
    ).rows,
  );
  for (const row of rows) {
    const entry = runs.get(row.connection_id) ?? {};
    entry[row.kind] = row;
    runs.set(row.connection_id, entry);
  }
  return runs;
}

function fromRow(
  row: Omit<ConnectionRow, 'credentials_sealed'>,
  runs?: { last?: SyncRunRow; complete?: SyncRunRow },
): Connection {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    settings: row.settings,
    credentialType: row.credential_type,
    credentialStatus: row.credential_status,
    credentialError: row.credential_error,
    syncIntervalMinutes: row.sync_interval_minutes,
    enabled: row.enabled,
    nextSyncAt: row.next_sync_at,
    createdAt: row.created_at,
    lastSync: runs?.last ? syncRunFromRow(runs.last) : null,
    lastCompleteSync: runs?.complete ? syncRunFromRow(runs.complete) : null,
    directory: { lastCompleteSyncAt: row.last_directory_sync_at, lastError: row.last_directory_sync_error },
  };
}

export async function createConnection(
  knex: Knex,
  box: SecretBox | null,
  input: CreateConnectionInput,
  by: { actor: Actor; requestId?: string | null },
): Promise<Connection> {
  if (!box) throw new AppError('conflict', NO_SECRET_KEY);
  return knex.transaction(async (trx) => {
    const existing = await trx('connections').where({ name: input.name }).first('id');
    if (existing)
      throw new AppError('conflict', `a connection named "${input.name}" already exists`, { field: 'body.name' });
    const [{ id }] = await trx.raw('select gen_random_uuid() as id').then((r) => r.rows);
    const [row] = await trx('connections')
      .insert({
        id,
        name: input.name,
        kind: input.kind,
        settings: input.settings,
        credentials_sealed: box.seal(JSON.stringify(input.credentials), id),
        credential_type: input.credentials.type,
        sync_interval_minutes: input.syncIntervalMinutes ?? 15,
        next_sync_at: new Date(),
      })
      .returning(PUBLIC_COLUMNS);
    await appendAudit(trx, {
      actor: by.actor,
      action: 'connection.create',
      target: { type: 'connection', id },
      requestId: by.requestId ?? null,
      details: { name: input.name, kind: input.kind, settings: input.settings, credentialType: input.credentials.type },
    });
    return fromRow(row);
  });
}

export async function listConnections(knex: Knex): Promise<Connection[]> {
  const rows = await knex('connections').select(PUBLIC_COLUMNS).orderBy('name');
  const runs = await lastRuns(
    knex,
    rows.map((r) => r.id),
  );
  return rows.map((row) => fromRow(row, runs.get(row.id)));
}

export async function getConnection(knex: Knex, id: string): Promise<Connection> {
  const row = await knex('connections').select(PUBLIC_COLUMNS).where({ id }).first();
  if (!row) throw notFound('connection', id);
  return fromRow(row, (await lastRuns(knex, [id])).get(id));
}

/** The connector definition with its credentials unsealed: for the worker, never for an answer. */
export async function loadConnectorDefinition(
  knex: Knex,
  box: SecretBox | null,
  id: string,
): Promise<{ connection: Connection; definition: ConnectorDefinition }> {
  const row: ConnectionRow | undefined = await knex('connections').where({ id }).first();
  if (!row) throw notFound('connection', id);
  if (!box) throw new AppError('conflict', NO_SECRET_KEY);
  const sealed = JSON.parse(box.open(row.credentials_sealed, row.id));
  // The API names a PFX certificate `certificate-pfx`; the connector takes both certificate forms as `certificate`.
  const credentials = sealed.type === 'certificate-pfx' ? { ...sealed, type: 'certificate' } : sealed;
  return {
    connection: fromRow(row),
    definition: { kind: row.kind, settings: row.settings, credentials } as ConnectorDefinition,
  };
}

/** Records what the last contact with the MDM proved about the credential (auditing a change of state). */
export async function setCredentialStatus(
  trx: Knex.Transaction,
  connection: Pick<Connection, 'id' | 'credentialStatus'>,
  status: 'ok' | 'broken',
  error: string | null,
  actor: Actor,
): Promise<void> {
  await trx('connections')
    .where({ id: connection.id })
    .update({ credential_status: status, credential_error: error, updated_at: new Date() });
  if (connection.credentialStatus !== status) {
    await appendAudit(trx, {
      actor,
      action: status === 'broken' ? 'connection.credential-broken' : 'connection.credential-ok',
      target: { type: 'connection', id: connection.id },
      details: error ? { error } : {},
    });
  }
}
