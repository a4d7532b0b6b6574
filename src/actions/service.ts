// Remote action requests: asked (idempotently, under the safety rules), approved, canceled, expired and read.
// Every change is audited in its transaction. Sending and confirming live in dispatch.ts; the rules in rules.ts.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import type { ActionSafety } from '../config';
import { AppError, notFound } from '../errors';
import { canonicalJson } from '../util/canonical-json';
import { emitEvent } from '../webhooks/events';
import {
  type ActionKind,
  actorKey,
  approvalsRequired,
  cancelWindowSeconds,
  checkApproval,
  checkRequest,
  DESTRUCTIVE,
  type Refusal,
} from './rules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');

export type DeviceActionState =
  | 'requested'
  | 'scheduled'
  | 'sending'
  | 'sent'
  | 'confirmed'
  | 'failed'
  | 'canceled'
  | 'expired';

/** States in which a device's action is under way: a second action on the device is refused. */
export const PENDING: readonly DeviceActionState[] = ['requested', 'scheduled', 'sending', 'sent'];

export interface ActionRequest {
  kind: ActionKind;
  devices?: string[];
  user?: string;
  reason: string;
  idempotencyKey: string;
  breakGlass?: boolean;
}

export interface DeviceActionView {
  deviceId: string;
  connectionId: string;
  deviceName: string | null;
  state: DeviceActionState;
  attempts: number;
  sentAt: Date | null;
  confirmedAt: Date | null;
  error: string | null;
}

export interface ActionView {
  id: string;
  kind: ActionKind;
  reason: string;
  status: 'awaiting-approval' | 'scheduled' | 'in-progress' | 'done' | 'failed' | 'canceled' | 'expired';
  requestedBy: Actor;
  requestedAt: Date;
  breakGlass: boolean;
  approvalsRequired: number;
  approvals: Array<{ by: Actor; at: Date }>;
  approvedAt: Date | null;
  sendAfter: Date | null;
  expiresAt: Date;
  canceledAt: Date | null;
  devices: DeviceActionView[];
}

type By = { actor: Actor; requestId?: string | null };

const refused = (refusal: Refusal) =>
  new AppError('conflict', `${refusal.why}; ${refusal.howToProceed}`, {
    field: refusal.field,
    extensions: {
      reason: refusal.why,
      howToProceed: refusal.howToProceed,
      ...(refusal.limit !== undefined ? { limit: refusal.limit, requested: refusal.requested } : {}),
    },
  });

/** The devices a request names: by id, or every device of a user (by principal name or directory id). */
async function targetDevices(
  trx: Knex.Transaction,
  request: ActionRequest,
): Promise<Array<{ id: string; connection_id: string; external_id: string }>> {
  if ((request.devices === undefined) === (request.user === undefined)) {
    throw new AppError('validation', 'body: name either devices or a user', { field: 'body' });
  }
  const query = trx('devices').select('id', 'connection_id', 'external_id').whereNull('gone_at').orderBy('id');
  if (request.devices) {
    const wanted = [...new Set(request.devices)];
    const found = await query.whereIn('id', wanted);
    const missing = wanted.filter((id) => !found.some((d: { id: string }) => d.id === id));
    if (missing.length > 0) {
      throw new AppError('validation', `body.devices: no device under management has id ${missing.join(', ')}`, {
        field: 'body.devices',
      });
    }
    return found;
  }
  const user = request.user!;
  return query.where((q) =>
    q.whereRaw('lower(user_principal_name) = lower(?)', [user]).orWhere('user_external_id', user),
  );
}

export async function requestAction(
  knex: Knex,
  safety: ActionSafety,
  request: ActionRequest,
  by: By,
  now = new Date(),
  /** Set when a policy allows this action without approval (a departed user's retire): why, for the audit. */
  automatic: string | null = null,
): Promise<{ action: ActionView; created: boolean }> {
  const requesterKey = actorKey(by.actor);
  const requestHash = createHash('sha256')
    .update(
      canonicalJson({
        kind: request.kind,
        devices: request.devices ? [...new Set(request.devices)].sort() : null,
        user: request.user ?? null,
        reason: request.reason,
        breakGlass: request.breakGlass ?? false,
      }),
    )
    .digest('hex');
  const id = await knex.transaction(async (trx) => {
    // One request at a time decides on caps and pending devices, so two cannot both pass a limit.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['warden:actions']);
    const earlier = await trx('actions')
      .where({ requester_key: requesterKey, idempotency_key: request.idempotencyKey })
      .first('id', 'request_hash');
    if (earlier) {
      if (earlier.request_hash !== requestHash) {
        throw new AppError(
          'conflict',
          'body.idempotencyKey: this key was used for a different request; use a new key for a new request',
          { field: 'body.idempotencyKey' },
        );
      }
      return { id: earlier.id as string, created: false };
    }
    const devices = await targetDevices(trx, request);
    const [{ fleet }] = await trx('devices').whereNull('gone_at').count({ fleet: '*' });
    const [{ recent }] = await trx('device_actions as da')
      .join('actions as a', 'a.id', 'da.action_id')
      .whereIn('da.kind', [...DESTRUCTIVE])
      .whereNot('da.state', 'canceled')
      .where('a.requested_at', '>', new Date(now.getTime() - 3_600_000))
      .count({ recent: '*' });
    const breakGlass = request.breakGlass ?? false;
    const refusal = checkRequest(
      {
        kind: request.kind,
        devices: devices.length,
        fleet: Number(fleet),
        destructiveLastHour: Number(recent),
        breakGlass,
      },
      safety,
    );
    if (refusal) throw refused(refusal);
    const busy = await trx('device_actions')
      .whereIn(
        'device_id',
        devices.map((d) => d.id),
      )
      .whereIn('state', PENDING)
      .select('device_id', 'kind', 'state');
    if (busy.length > 0) {
      throw refused({
        why: `a device already has an action under way (${busy.map((b: { device_id: string; kind: string; state: string }) => `${b.device_id}: ${b.kind}, ${b.state}`).join('; ')})`,
        howToProceed: 'wait for it to be confirmed or fail, or cancel it, then ask again',
        field: 'body.devices',
      });
    }
    const required = automatic ? 0 : approvalsRequired(request.kind, breakGlass);
    const sendAfter =
      required === 0 ? new Date(now.getTime() + cancelWindowSeconds(request.kind, safety) * 1000) : null;
    const [row] = await trx('actions')
      .insert({
        kind: request.kind,
        reason: request.reason,
        requested_by: JSON.stringify(by.actor),
        requested_at: now,
        idempotency_key: request.idempotencyKey,
        requester_key: requesterKey,
        request_hash: requestHash,
        target: JSON.stringify(request.devices ? { devices: request.devices } : { user: request.user }),
        break_glass: breakGlass,
        approvals_required: required,
        approved_at: required === 0 ? now : null,
        expires_at: new Date(now.getTime() + safety.approvalHours * 3_600_000),
      })
      .returning('id');
    await trx('device_actions').insert(
      devices.map((device) => ({
        action_id: row.id,
        device_id: device.id,
        connection_id: device.connection_id,
        external_id: device.external_id,
        kind: request.kind,
        state: required === 0 ? 'scheduled' : 'requested',
        dispatch_after: sendAfter,
        updated_at: now,
      })),
    );
    await appendAudit(trx, {
      actor: by.actor,
      action: 'action.request',
      target: { type: 'action', id: row.id },
      requestId: by.requestId ?? null,
      details: {
        kind: request.kind,
        reason: request.reason,
        devices: devices.map((d) => d.id),
        breakGlass,
        approvalsRequired: required,
        automatic,
      },
    });
    await emitEvent(trx, 'action.requested', {
      actionId: row.id,
      kind: request.kind,
      reason: request.reason,
      devices: devices.map((d) => d.id),
      approvalsRequired: required,
      automatic,
    });
    return { id: row.id as string, created: true };
  });
  return { action: await getAction(knex, id.id), created: id.created };
}

export async function approveAction(
  knex: Knex,
  safety: ActionSafety,
  id: string,
  by: By,
  now = new Date(),
): Promise<ActionView> {
  await knex.transaction(async (trx) => {
    const row = await trx('actions').where({ id }).forUpdate().first();
    if (!row) throw notFound('action', id);
    const waiting = await trx('device_actions').where({ action_id: id, state: 'requested' }).count({ n: '*' });
    if (row.approved_at || row.canceled_at || Number(waiting[0]!.n) === 0) {
      throw refused({
        why: `this request is ${row.canceled_at ? 'canceled' : row.approved_at ? 'already approved' : 'no longer waiting for approval'}`,
        howToProceed: 'see its state with GET /v1/actions/{id}',
      });
    }
    const approvals: Array<{ by: Actor; at: string }> = row.approvals;
    const refusal = checkApproval({ requestedBy: row.requested_by, approvals }, by.actor);
    if (refusal) throw new AppError('forbidden', `${refusal.why}; ${refusal.howToProceed}`);
    approvals.push({ by: by.actor, at: now.toISOString() });
    const complete = approvals.length >= row.approvals_required;
    await trx('actions')
      .where({ id })
      .update({ approvals: JSON.stringify(approvals), approved_at: complete ? now : null });
    if (complete) {
      const sendAfter = new Date(now.getTime() + cancelWindowSeconds(row.kind, safety) * 1000);
      await trx('device_actions')
        .where({ action_id: id, state: 'requested' })
        .update({ state: 'scheduled', dispatch_after: sendAfter, updated_at: now });
    }
    await appendAudit(trx, {
      actor: by.actor,
      action: 'action.approve',
      target: { type: 'action', id },
      requestId: by.requestId ?? null,
      details: { approvals: approvals.length, required: row.approvals_required, approved: complete },
    });
    if (complete) await emitEvent(trx, 'action.approved', { actionId: id, kind: row.kind, approvals });
  });
  return getAction(knex, id);
}

export async function cancelAction(knex: Knex, id: string, by: By, now = new Date()): Promise<ActionView> {
  await knex.transaction(async (trx) => {
    const row = await trx('actions').where({ id }).forUpdate().first();
    if (!row) throw notFound('action', id);
    const canceled = await trx('device_actions')
      .where({ action_id: id })
      .whereIn('state', ['requested', 'scheduled'])
      .update({ state: 'canceled', finished_at: now, updated_at: now });
    if (canceled === 0) {
      throw refused({
        why: 'nothing in this request can be canceled any more: every device action was sent or has ended',
        howToProceed: 'see each device state with GET /v1/actions/{id}',
      });
    }
    await trx('actions')
      .where({ id })
      .update({ canceled_at: now, canceled_by: JSON.stringify(by.actor) });
    await appendAudit(trx, {
      actor: by.actor,
      action: 'action.cancel',
      target: { type: 'action', id },
      requestId: by.requestId ?? null,
      details: { canceledDevices: canceled },
    });
    await emitEvent(trx, 'action.canceled', { actionId: id, kind: row.kind, canceledDevices: canceled });
  });
  return getAction(knex, id);
}

/** Requests not approved in time expire, device by device; each expiry is audited. */
export async function expireActions(knex: Knex, now = new Date()): Promise<number> {
  return knex.transaction(async (trx) => {
    const expired = await trx('device_actions as da')
      .whereIn('da.action_id', trx('actions').select('id').where('expires_at', '<=', now))
      .where('da.state', 'requested')
      .update({ state: 'expired', finished_at: now, updated_at: now })
      .returning('action_id');
    const actions = [...new Set(expired.map((r: { action_id: string }) => r.action_id))];
    for (const id of actions) {
      await appendAudit(trx, {
        actor: { type: 'system', id: null, name: 'warden', role: null },
        action: 'action.expire',
        target: { type: 'action', id },
        details: { reason: 'not approved in time' },
      });
      await emitEvent(trx, 'action.expired', { actionId: id });
    }
    return expired.length;
  });
}

function statusOf(devices: DeviceActionView[]) {
  const states = new Set(devices.map((d) => d.state));
  const only = (...allowed: DeviceActionState[]) => [...states].every((s) => allowed.includes(s));
  if (states.has('requested')) return 'awaiting-approval' as const;
  if (only('canceled')) return 'canceled' as const;
  if (only('expired')) return 'expired' as const;
  if (only('scheduled', 'canceled')) return 'scheduled' as const;
  if (states.has('scheduled') || states.has('sending') || states.has('sent')) return 'in-progress' as const;
  if (states.has('failed')) return 'failed' as const;
  return 'done' as const;
}

interface ActionRow {
  id: string;
  kind: ActionKind;
  reason: string;
  requested_by: Actor;
  requested_at: Date;
  break_glass: boolean;
  approvals_required: number;
  approvals: Array<{ by: Actor; at: string }>;
  approved_at: Date | null;
  expires_at: Date;
  canceled_at: Date | null;
}

async function viewsOf(knex: Knex, rows: ActionRow[]): Promise<ActionView[]> {
  const devices = await knex('device_actions as da')
    .leftJoin('devices as d', 'd.id', 'da.device_id')
    .whereIn(
      'da.action_id',
      rows.map((r) => r.id),
    )
    .orderBy(['da.action_id', 'da.device_id'])
    .select('da.*', 'd.name as device_name');
  return rows.map((row) => {
    const mine: DeviceActionView[] = devices
      .filter((d: { action_id: string }) => d.action_id === row.id)
      .map((d: Record<string, unknown>) => ({
        deviceId: d.device_id as string,
        connectionId: d.connection_id as string,
        deviceName: (d.device_name as string | null) ?? null,
        state: d.state as DeviceActionState,
        attempts: d.attempts as number,
        sentAt: (d.sent_at as Date | null) ?? null,
        confirmedAt: (d.confirmed_at as Date | null) ?? null,
        error: (d.error as string | null) ?? null,
      }));
    const scheduled = devices.find((d: { action_id: string; dispatch_after: Date | null }) => d.action_id === row.id);
    return {
      id: row.id,
      kind: row.kind,
      reason: row.reason,
      status: statusOf(mine),
      requestedBy: row.requested_by,
      requestedAt: row.requested_at,
      breakGlass: row.break_glass,
      approvalsRequired: row.approvals_required,
      approvals: row.approvals.map((a) => ({ by: a.by, at: new Date(a.at) })),
      approvedAt: row.approved_at,
      sendAfter: (scheduled?.dispatch_after as Date | null) ?? null,
      expiresAt: row.expires_at,
      canceledAt: row.canceled_at,
      devices: mine,
    };
  });
}

export async function getAction(knex: Knex, id: string): Promise<ActionView> {
  const row = await knex('actions').where({ id }).first();
  if (!row) throw notFound('action', id);
  return (await viewsOf(knex, [row]))[0]!;
}

/** Newest first, in keyset pages. */
export async function listActions(
  knex: Knex,
  page: { limit: number; cursor?: string },
): Promise<{ actions: ActionView[]; nextCursor: string | null }> {
  const query = knex('actions')
    .orderBy([
      { column: 'requested_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  if (page.cursor) {
    let at: string;
    let id: string;
    try {
      [at, id] = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8'));
      // A time PostgreSQL can compare (none this API made is older than year 1) and a uuid.
      if (!(Date.parse(at) >= EARLIEST) || typeof id !== 'string' || !UUID.test(id)) throw new Error('bad cursor');
    } catch {
      throw new AppError('validation', 'query.cursor: is not a cursor this API returned', { field: 'query.cursor' });
    }
    query.whereRaw('(requested_at, id) < (?, ?)', [new Date(at), id]);
  }
  const rows: ActionRow[] = await query;
  const actions = await viewsOf(knex, rows.slice(0, page.limit));
  const last = actions.at(-1);
  const nextCursor =
    rows.length > page.limit && last
      ? Buffer.from(JSON.stringify([last.requestedAt.toISOString(), last.id])).toString('base64url')
      : null;
  return { actions, nextCursor };
}
