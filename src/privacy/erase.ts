// Erasure of a person (GDPR art. 17): their identifiers replaced by stable pseudonyms everywhere Warden keeps
// them, in one transaction with its audit event, so that device counts, findings and posture stay what they
// were (rows are rewritten, never deleted, and the same identifier becomes the same pseudonym in every table).
// The audit log is not rewritten: it is append-only and hash-chained, and the erasure is one more event in it,
// naming the person by pseudonym only. See README "Data protection" for what stays and why.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { PENDING } from '../actions/service';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { AppError } from '../errors';
import type { components } from '../http/api-types';
import { canonicalJson } from '../util/canonical-json';
import { isPseudonym } from './scrub';
import { findSubject, type Subject, wasErased } from './subjects';

type SubjectErasure = components['schemas']['SubjectErasure'];

/** Rows rewritten per kind, as the contract answers them. */
export type ErasureChanges = SubjectErasure['changes'];

/**
 * The contract's answer, with the time as a Date. `stillInMdm` counts devices not gone and directory users not
 * deleted: their next sync writes the person's identifiers back (Warden mirrors the MDM).
 */
export type ErasureResult = Omit<SubjectErasure, 'erasedAt'> & { erasedAt: Date };

const NO_CHANGES: ErasureChanges = {
  directoryUsers: 0,
  devices: 0,
  deviceHistory: 0,
  findings: 0,
  actions: 0,
  deviceActions: 0,
  webhookDeliveries: 0,
};

type Row = Record<string, unknown>;
const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
const pseudonymised = (subject: Subject, value: string | null) =>
  value === null || isPseudonym(value) ? value : subject.pseudonym(value);

/** Writes `column` of the rows whose value changed, in one statement; returns how many. */
async function rewrite(
  trx: Knex.Transaction,
  table: string,
  column: string,
  types: { id: string; value: string },
  rows: Array<{ id: unknown; value: unknown }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await trx.raw(
    `update ${table} t set ${column} = x.value
       from jsonb_to_recordset(?::jsonb) as x(id ${types.id}, value ${types.value}) where t.id = x.id`,
    [JSON.stringify(rows)],
  );
  return result.rowCount ?? rows.length;
}

/** JSON rows scrubbed: only those whose value changes are kept. */
function scrubbedJson(rows: Row[], column: string, scrub: (value: never) => unknown) {
  return rows
    .map((row) => ({ id: row.id, before: row[column], value: scrub(row[column] as never) }))
    .filter((row) => !same(row.before, row.value))
    .map(({ id, value }) => ({ id, value }));
}

/** The request hash of an action, as src/actions/service.ts computes it, over its scrubbed fields. */
function requestHash(action: { kind: string; target: Row; reason: string; break_glass: boolean }): string {
  const devices = action.target.devices as string[] | undefined;
  return createHash('sha256')
    .update(
      canonicalJson({
        kind: action.kind,
        devices: devices ? [...new Set(devices)].sort() : null,
        user: (action.target.user as string | undefined) ?? null,
        reason: action.reason,
        breakGlass: action.break_glass,
      }),
    )
    .digest('hex');
}

async function eraseDevices(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const rows: Row[] = await trx('devices')
    .whereIn('id', subject.deviceIds)
    .orderBy('id')
    .forUpdate()
    .select('id', 'name', 'user_principal_name', 'user_external_id', 'user_display_name', 'user_email')
    .select(trx.raw(`native::text = '{}' as native_empty`));
  let changed = 0;
  for (const row of rows) {
    const next = {
      name: subject.scrubber.deviceName(row.name as string | null),
      user_principal_name: pseudonymised(subject, row.user_principal_name as string | null),
      user_external_id: pseudonymised(subject, row.user_external_id as string | null),
      user_display_name: null,
      user_email: null,
    };
    const unchanged = row.native_empty && Object.entries(next).every(([k, v]) => row[k] === v);
    if (unchanged) continue;
    // The MDM's record mixes identifiers with fields Warden does not model (Jamf's real name, phone, room...):
    // it is emptied rather than filtered. A sync that finds the device again stores the MDM's record anew.
    await trx('devices')
      .where({ id: row.id })
      .update({ ...next, native: '{}' });
    changed++;
  }
  return changed;
}

async function eraseHistory(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const history = (fields: Record<string, unknown>) => subject.scrubber.history(fields);
  const own: Row[] = await trx('device_changes').whereIn('device_id', subject.deviceIds).select('id', 'fields');
  // Devices that were the person's before someone else's keep them in their history of user changes.
  const patterns = subject.scrubber.likePatterns();
  const others: Row[] = patterns.length
    ? (
        await trx.raw(
          `select id, fields from device_changes
            where device_id <> all(?::uuid[])
              and jsonb_exists_any(fields, array['user_principal_name', 'user_external_id', 'name'])
              and fields::text ilike any(?::text[])`,
          [subject.deviceIds, patterns],
        )
      ).rows
    : [];
  return rewrite(trx, 'device_changes', 'fields', { id: 'bigint', value: 'jsonb' }, [
    ...scrubbedJson(own, 'fields', history),
    ...scrubbedJson(others, 'fields', history),
  ]);
}

async function eraseFindings(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const rows: Row[] = await trx('findings').whereIn('device_id', subject.deviceIds).select('id', 'evidence');
  const scrub = (evidence: Record<string, unknown>) => subject.scrubber.json(evidence);
  return rewrite(trx, 'findings', 'evidence', { id: 'uuid', value: 'jsonb' }, scrubbedJson(rows, 'evidence', scrub));
}

async function eraseDirectoryUsers(trx: Knex.Transaction, subject: Subject): Promise<number> {
  let changed = 0;
  for (const user of subject.directoryUsers) {
    const row = await trx('directory_users')
      .where({ connection_id: user.connectionId, external_id: user.externalId })
      .forUpdate()
      .first();
    if (!row) continue;
    const externalId = pseudonymised(subject, row.external_id)!;
    // Erased before and brought back by a sync: the older, pseudonymised row gives way to this one.
    if (externalId !== row.external_id) {
      await trx('directory_users').where({ connection_id: user.connectionId, external_id: externalId }).delete();
    }
    const next = {
      external_id: externalId,
      principal_name: pseudonymised(subject, row.principal_name),
      display_name: null,
    };
    if (Object.entries(next).every(([k, v]) => row[k] === v)) continue;
    await trx('directory_users').where({ connection_id: user.connectionId, external_id: user.externalId }).update(next);
    changed++;
  }
  return changed;
}

async function eraseActions(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const rows: Row[] = await trx('actions')
    .whereIn('id', subject.actionIds)
    .forUpdate()
    .select('id', 'kind', 'reason', 'target', 'idempotency_key', 'break_glass');
  let changed = 0;
  for (const row of rows) {
    const next = {
      reason: subject.scrubber.deviceName(row.reason as string)!,
      target: subject.scrubber.json(row.target as Row),
      idempotency_key: subject.scrubber.deviceName(row.idempotency_key as string)!,
    };
    if (next.reason === row.reason && same(next.target, row.target) && next.idempotency_key === row.idempotency_key) {
      continue;
    }
    // The request hash covers the target and reason: recomputed, so a retry with the erased request still matches
    // and the hash of the identifier (guessable) does not stay behind.
    const hash = requestHash({
      kind: row.kind as string,
      target: next.target,
      reason: next.reason,
      break_glass: !!row.break_glass,
    });
    await trx('actions')
      .where({ id: row.id })
      .update({ ...next, target: JSON.stringify(next.target), request_hash: hash });
    changed++;
  }
  return changed;
}

async function eraseDeviceActions(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const rows: Row[] = await trx('device_actions')
    .whereIn('device_id', subject.deviceIds)
    .whereNotNull('error')
    .select('id', 'error');
  const changed = rows
    .map((row) => ({ id: row.id, before: row.error, value: subject.scrubber.deviceName(row.error as string) }))
    .filter((row) => row.value !== row.before)
    .map(({ id, value }) => ({ id, value }));
  return rewrite(trx, 'device_actions', 'error', { id: 'uuid', value: 'text' }, changed);
}

async function eraseWebhookDeliveries(trx: Knex.Transaction, subject: Subject): Promise<number> {
  const patterns = subject.scrubber.likePatterns();
  if (patterns.length === 0) return 0;
  const rows: Row[] = (
    await trx.raw('select id, payload from webhook_deliveries where payload::text ilike any(?::text[])', [patterns])
  ).rows;
  const scrub = (payload: Row) => subject.scrubber.json(payload);
  return rewrite(
    trx,
    'webhook_deliveries',
    'payload',
    { id: 'bigint', value: 'jsonb' },
    scrubbedJson(rows, 'payload', scrub),
  );
}

async function stillInMdm(trx: Knex.Transaction, subject: Subject) {
  const [{ devices }] = await trx('devices')
    .whereIn('id', subject.deviceIds)
    .whereNull('gone_at')
    .count({ devices: '*' });
  const pseudonyms = subject.directoryUsers.map((u) => pseudonymised(subject, u.externalId)!);
  const [{ users }] = await trx('directory_users')
    .whereIn('external_id', pseudonyms)
    .whereNull('deleted_at')
    .count({ users: '*' });
  return { devices: Number(devices), directoryUsers: Number(users) };
}

/** The pseudonyms the erasure wrote, so the audit event can be matched to the rows it left. */
function pseudonymsOf(subject: Subject) {
  const map = (values: string[]) => [...new Set(values.map((v) => pseudonymised(subject, v)!))].sort();
  return {
    principalNames: map(subject.identifiers.principalNames),
    externalIds: map(subject.identifiers.externalIds),
  };
}

export async function eraseSubject(
  knex: Knex,
  query: string,
  reason: string,
  by: { actor: Actor; requestId?: string | null },
): Promise<ErasureResult> {
  return knex.transaction(async (trx) => {
    // Taken by every action request too: no wipe or retire of the person's devices can be asked for meanwhile.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['warden:actions']);
    const { subject, held } = await findSubject(trx, query);
    const erasedAt = new Date();
    if (!held && !(await wasErased(trx, subject.reference))) {
      throw new AppError(
        'not-found',
        `Warden holds nothing about ${query}: no device, directory user or remote action names this user principal ` +
          'name (any case) or directory user id, and it was not erased before',
        { field: 'path.user' },
      );
    }
    if (reason.toLowerCase().includes(query.toLowerCase()) || subject.scrubber.deviceName(reason) !== reason) {
      throw new AppError(
        'validation',
        "body.reason: must not name the person (it is kept in the audit log, which is never rewritten); refer to the request instead, e.g. 'GDPR erasure request 2026-114'",
        { field: 'body.reason' },
      );
    }
    if (!held) {
      const event = await appendAudit(trx, {
        actor: by.actor,
        action: 'subject.erase',
        target: { type: 'subject', id: subject.reference },
        requestId: by.requestId ?? null,
        details: { reason, alreadyErased: true, changes: NO_CHANGES },
      });
      const none = { devices: 0, directoryUsers: 0 };
      return {
        subject: subject.reference,
        alreadyErased: true,
        erasedAt,
        changes: NO_CHANGES,
        stillInMdm: none,
        auditSeq: event.seq,
      };
    }
    const pending: Array<{ action_id: string; kind: string; state: string }> = await trx('device_actions')
      .whereIn('device_id', subject.deviceIds)
      .whereIn('kind', ['wipe', 'retire'])
      .whereIn('state', PENDING)
      .orderBy('action_id')
      .select('action_id', 'kind', 'state');
    if (pending.length > 0) {
      const actions = [...new Set(pending.map((p) => p.action_id))];
      throw new AppError(
        'conflict',
        `this person's devices have ${pending.length} wipe or retire under way (${pending.map((p) => `${p.kind} ${p.state}`).join(', ')}); ` +
          'erasing now would leave approvers and auditors unable to tell whose devices they are acting on; ' +
          'wait for them to be confirmed or fail, or cancel them, then erase',
        {
          field: 'path.user',
          extensions: {
            reason: "destructive actions pending on the person's devices",
            howToProceed: 'wait for the actions to end (GET /v1/actions/{id}) or cancel them, then erase again',
            actions,
          },
        },
      );
    }
    const changes: ErasureChanges = {
      actions: await eraseActions(trx, subject),
      deviceActions: await eraseDeviceActions(trx, subject),
      findings: await eraseFindings(trx, subject),
      deviceHistory: await eraseHistory(trx, subject),
      devices: await eraseDevices(trx, subject),
      directoryUsers: await eraseDirectoryUsers(trx, subject),
      webhookDeliveries: await eraseWebhookDeliveries(trx, subject),
    };
    const remaining = await stillInMdm(trx, subject);
    // Found only rows an earlier erasure left (they carry the pseudonym): nothing changed now.
    const alreadyErased = Object.values(changes).every((n) => n === 0);
    const event = await appendAudit(trx, {
      actor: by.actor,
      action: 'subject.erase',
      target: { type: 'subject', id: subject.reference },
      requestId: by.requestId ?? null,
      details: { reason, alreadyErased, pseudonyms: pseudonymsOf(subject), changes, stillInMdm: remaining },
    });
    return { subject: subject.reference, alreadyErased, erasedAt, changes, stillInMdm: remaining, auditSeq: event.seq };
  });
}
