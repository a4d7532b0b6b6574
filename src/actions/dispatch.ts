// Sending remote actions exactly once, and confirming them from the MDM. A device action is claimed by marking
// it "sending" (attempt counted, lease taken) in a committed transaction before the MDM is called. The first
// attempt sends; any later attempt (after a crash, a lost answer or an expired lease) first asks the MDM whether
// the action is already there, and sends only if it is not. "Sent" is not "done": confirmation comes from the
// MDM's own record of the action, polled by confirmSent.
import type { Knex } from 'knex';
import { appendAudit } from '../audit/store';
import { SYSTEM_ACTOR } from '../auth/roles';
import type { SecretBox } from '../connections/secret-box';
import { loadConnectorDefinition } from '../connections/store';
import type { Logger } from '../log';
import { type ConnectorOptions, createConnector } from '../mdm';
import type { MdmConnector, RemoteAction } from '../mdm/connector';
import { MdmError } from '../mdm/errors';
import { emitEvent } from '../webhooks/events';
import { DESTRUCTIVE } from './rules';

export interface DispatchDeps {
  knex: Knex;
  log: Logger;
  secretBox: SecretBox | null;
  extraCaPem: string | null;
  connectorOptions?: Partial<ConnectorOptions>;
  /** How long a claim holds before another run may take the device action over (asking the MDM first). */
  leaseMs?: number;
}

/** How long a claim holds by default (config: WARDEN_ACTION_LEASE_SECONDS). */
export const DEFAULT_LEASE_MS = 5 * 60_000;
/** The MDM's clock and ours may differ a little; an action found this long before our first attempt is not ours. */
const CLOCK_SKEW_MS = 5_000;

/** One connector per connection for the length of a run. */
function connectorCache(deps: DispatchDeps): (connectionId: string) => Promise<MdmConnector> {
  const connectors = new Map<string, MdmConnector>();
  return async (connectionId) => {
    let connector = connectors.get(connectionId);
    if (!connector) {
      const { definition } = await loadConnectorDefinition(deps.knex, deps.secretBox, connectionId);
      connector = createConnector(definition, {
        log: deps.log,
        caPem: deps.extraCaPem ?? undefined,
        ...deps.connectorOptions,
      });
      connectors.set(connectionId, connector);
    }
    return connector;
  };
}

interface DeviceActionRow {
  id: string;
  action_id: string;
  connection_id: string;
  external_id: string;
  kind: RemoteAction;
  attempts: number;
  first_attempt_at: Date;
}

/** Claims one due device action (scheduled and past its cancel window, or sending with an expired lease). */
async function claim(knex: Knex, now: Date, leaseMs: number): Promise<DeviceActionRow | null> {
  return knex.transaction(async (trx) => {
    const row = await trx('device_actions')
      .where((q) =>
        q
          .where((s) => s.where('state', 'scheduled').where('dispatch_after', '<=', now))
          .orWhere((s) => s.where('state', 'sending').where('lease_until', '<=', now)),
      )
      .orderBy('dispatch_after')
      .forUpdate()
      .skipLocked()
      .first('id');
    if (!row) return null;
    const [claimed] = await trx('device_actions')
      .where({ id: row.id })
      .update({
        state: 'sending',
        attempts: trx.raw('attempts + 1'),
        first_attempt_at: trx.raw('coalesce(first_attempt_at, ?)', [now]),
        lease_until: new Date(now.getTime() + leaseMs),
        updated_at: now,
      })
      .returning(['id', 'action_id', 'connection_id', 'external_id', 'kind', 'attempts', 'first_attempt_at']);
    return claimed as DeviceActionRow;
  });
}

/** Records an outcome, only if the claim is still this attempt's (a slower run never overwrites a newer one). */
async function settle(
  knex: Knex,
  row: DeviceActionRow,
  update: Record<string, unknown>,
  audit: { action: string; outcome?: 'success' | 'failure'; details: Record<string, unknown> },
): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const changed = await trx('device_actions')
      .where({ id: row.id, state: 'sending', attempts: row.attempts })
      .update({ ...update, lease_until: null, updated_at: new Date() });
    if (changed === 0) return false;
    const details = { deviceActionId: row.id, kind: row.kind, attempt: row.attempts, ...audit.details };
    await appendAudit(trx, {
      actor: SYSTEM_ACTOR,
      action: audit.action,
      outcome: audit.outcome,
      target: { type: 'action', id: row.action_id },
      details,
    });
    await emitEvent(trx, audit.outcome === 'failure' ? 'action.failed' : 'action.sent', {
      actionId: row.action_id,
      connectionId: row.connection_id,
      deviceExternalId: row.external_id,
      ...details,
    });
    return true;
  });
}

export interface DispatchCounts {
  sent: number;
  foundSent: number;
  failed: number;
  unsure: number;
}

/** Sends every due device action, one at a time. */
export async function dispatchDue(
  deps: DispatchDeps,
  options: { now?: () => Date; touch?: () => Promise<void> } = {},
): Promise<DispatchCounts> {
  const now = options.now ?? (() => new Date());
  const counts: DispatchCounts = { sent: 0, foundSent: 0, failed: 0, unsure: 0 };
  const connectorOf = connectorCache(deps);
  for (;;) {
    const row = await claim(deps.knex, now(), deps.leaseMs ?? DEFAULT_LEASE_MS);
    if (!row) return counts;
    await options.touch?.();
    const log = deps.log.child({ deviceActionId: row.id, kind: row.kind, attempt: row.attempts });
    try {
      const connector = await connectorOf(row.connection_id);
      if (row.attempts > 1) {
        // An earlier attempt may have reached the MDM: look before sending again.
        const status = await connector.actionStatus(row.external_id, row.kind);
        const ours =
          status.state !== 'none' &&
          status.startedAt !== null &&
          status.startedAt.getTime() >= row.first_attempt_at.getTime() - CLOCK_SKEW_MS;
        if (ours || status.state === 'gone') {
          if (
            await settle(
              deps.knex,
              row,
              { state: 'sent', sent_at: status.startedAt ?? now(), found_sent: true },
              {
                action: 'action.sent',
                details: { foundAtMdm: true, mdmState: status.state },
              },
            )
          )
            counts.foundSent++;
          continue;
        }
      }
      await connector.sendAction(row.external_id, row.kind);
      if (await settle(deps.knex, row, { state: 'sent', sent_at: now() }, { action: 'action.sent', details: {} }))
        counts.sent++;
    } catch (error) {
      const mdm = error instanceof MdmError ? error : null;
      if (!mdm || mdm.retryable || mdm.outcomeUnknown || mdm.kind === 'transient' || mdm.kind === 'throttled') {
        // Not known whether it reached the MDM (or the MDM was busy): the lease runs out and a later run asks.
        log.warn({ err: error }, 'remote action not confirmed sent; will check the MDM before any resend');
        counts.unsure++;
        continue;
      }
      // The MDM refused it (no such device, no permission, bad request): that attempt is over.
      if (
        await settle(
          deps.knex,
          row,
          { state: 'failed', error: `${mdm.kind}: ${mdm.message}`, finished_at: now() },
          { action: 'action.send', outcome: 'failure', details: { errorKind: mdm.kind, error: mdm.message } },
        )
      )
        counts.failed++;
    }
  }
}

export interface ConfirmCounts {
  confirmed: number;
  failed: number;
  pending: number;
  unknown: number;
}

/** Asks the MDM about every sent action: done is confirmed, failed or canceled is failed, the rest waits. */
export async function confirmSent(deps: DispatchDeps, now = new Date()): Promise<ConfirmCounts> {
  const counts: ConfirmCounts = { confirmed: 0, failed: 0, pending: 0, unknown: 0 };
  const rows: Array<DeviceActionRow & { sent_at: Date }> = await deps
    .knex('device_actions')
    .where({ state: 'sent' })
    .orderBy('sent_at')
    .select('id', 'action_id', 'connection_id', 'external_id', 'kind', 'attempts', 'first_attempt_at', 'sent_at');
  const connectorOf = connectorCache(deps);
  for (const row of rows) {
    let status: Awaited<ReturnType<MdmConnector['actionStatus']>>;
    try {
      status = await (await connectorOf(row.connection_id)).actionStatus(row.external_id, row.kind);
    } catch (error) {
      deps.log.warn({ err: error, deviceActionId: row.id }, 'could not read an action state from the MDM');
      counts.unknown++;
      continue;
    }
    // A wiped or retired device leaving the MDM is that action's end; for a lock or sync it is a failure.
    const done = status.state === 'done' || (status.state === 'gone' && DESTRUCTIVE.has(row.kind));
    const failed = status.state === 'failed' || status.state === 'canceled' || (status.state === 'gone' && !done);
    if (!done && !failed) {
      counts.pending++;
      continue;
    }
    await deps.knex.transaction(async (trx) => {
      const changed = await trx('device_actions')
        .where({ id: row.id, state: 'sent' })
        .update(
          done
            ? { state: 'confirmed', confirmed_at: now, finished_at: now, updated_at: now }
            : {
                state: 'failed',
                error: `the MDM reports the action ${status.state}`,
                finished_at: now,
                updated_at: now,
              },
        );
      if (changed === 0) return;
      await appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: done ? 'action.confirm' : 'action.fail',
        outcome: done ? 'success' : 'failure',
        target: { type: 'action', id: row.action_id },
        details: { deviceActionId: row.id, kind: row.kind, mdmState: status.state },
      });
      await emitEvent(trx, done ? 'action.confirmed' : 'action.failed', {
        actionId: row.action_id,
        deviceActionId: row.id,
        connectionId: row.connection_id,
        deviceExternalId: row.external_id,
        kind: row.kind,
        mdmState: status.state,
      });
    });
    if (done) counts.confirmed++;
    else counts.failed++;
  }
  return counts;
}
