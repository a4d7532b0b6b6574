// One inventory sync of one connection: list every device and every watched app through the connector,
// write what was seen page by page, and only when both listings completed mark what was not seen as gone.
// A failed or partial sync keeps the last known truth: it marks nothing gone. A 401/403 marks the
// credential broken; a 429 or 5xx never does.
//
// A listing can also end early without any sign (the Android Management API reports no total to check it
// against). So a complete sync that would mark more than a share of the connection's devices gone at once
// (WARDEN_SYNC_GONE_GUARD_PERCENT, default 25%, and always more than a handful) marks none and fails as
// 'incomplete', counting them as `goneHeld`; the next sync that again misses that many marks them gone. A
// fleet that really shrinks that much is marked one sync later; one listing cut short is never taken for it.
import type { Knex } from 'knex';
import { appendAudit } from '../audit/store';
import { SYSTEM_ACTOR } from '../auth/roles';
import type { SecretBox } from '../connections/secret-box';
import { loadConnectorDefinition, setCredentialStatus } from '../connections/store';
import { refreshStatisticsAfterGrowth } from '../db/statistics';
import type { Logger } from '../log';
import { type ConnectorOptions, createConnector } from '../mdm';
import type { MdmConnector } from '../mdm/connector';
import { MdmError } from '../mdm/errors';
import { finishSyncRun, heartbeat, startSyncRun } from './runs';
import { copyNewDevicePage, markUnseen, Presence, upsertAppHits, upsertDevicePage } from './store';
import { WATCHED_APPS } from './watched-apps';
import { WriteBehind } from './write-behind';

export interface SyncDeps {
  knex: Knex;
  log: Logger;
  secretBox: SecretBox | null;
  extraCaPem: string | null;
  /**
   * Whether a connection's first sync may COPY its pages in (default true). Not on the embedded database: its one
   * session serves every connection message by message, and COPY is a conversation of many messages (untried
   * there, so not relied on).
   */
  bulkCopy?: boolean;
  /** The share (percent) of a connection's devices one sync may mark gone before it is held (default 25). */
  goneGuardPercent?: number;
  /** Test and benchmark hook: pacing and retry settings handed to the connector. */
  connectorOptions?: Partial<ConnectorOptions>;
}

export interface SyncRequest {
  connectionId: string;
  trigger: 'schedule' | 'manual';
  worker: string;
  /** Keeps the job's lock alive; called after every page. */
  touch?: () => Promise<void>;
  signal?: AbortSignal;
}

export type SyncCounts = Record<string, number>;
export type SyncResult =
  | { outcome: 'succeeded'; runId: number; counts: SyncCounts }
  | { outcome: 'failed'; runId: number; counts: SyncCounts; errorKind: string; error: string }
  | { outcome: 'skipped'; reason: string };

/** Page writes in flight at once: one to overlap with fetching, one more to use a second database backend. */
const WRITES_IN_FLIGHT = 2;
/** A running sync records its progress (and proves it is alive) at most this often. */
const HEARTBEAT_EVERY_MS = 5_000;
const DEFAULT_GONE_GUARD_PERCENT = 25;
/** Up to this many devices leaving at once are never held, however small the fleet. */
const GONE_GUARD_FLOOR = 10;

/**
 * Whether a complete sync may mark `unseen` of a connection's `present` devices gone: yes when few enough, or
 * when the previous sync held a shrink back (this listing confirms it).
 */
export function mayMarkGone(unseen: number, present: number, percent: number, previousHeld: boolean): boolean {
  return previousHeld || unseen <= GONE_GUARD_FLOOR || unseen * 100 <= present * percent;
}

function describe(error: unknown): { kind: string; message: string } {
  if (error instanceof MdmError) return { kind: error.kind, message: error.message };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export async function syncConnection(deps: SyncDeps, request: SyncRequest): Promise<SyncResult> {
  const { knex, log } = deps;
  const start = await startSyncRun(knex, request.connectionId, request.trigger, request.worker);
  if (!start.started) {
    return {
      outcome: 'skipped',
      reason: `a sync of this connection has been running since ${start.runningSince.toISOString()}`,
    };
  }
  const { runId } = start;
  const started = Date.now();
  const counts: SyncCounts = {
    devices: 0,
    appeared: 0,
    changed: 0,
    returned: 0,
    gone: 0,
    appHits: 0,
    appHitsUnmatched: 0,
    appsRemoved: 0,
    writeMs: 0,
  };
  let connector: MdmConnector | null = null;
  const writes = new WriteBehind(WRITES_IN_FLIGHT);
  const { connection, definition } = await loadConnectorDefinition(knex, deps.secretBox, request.connectionId).catch(
    async (error) => {
      await finishSyncRun(knex, runId, 'failed', counts, describe(error));
      throw error;
    },
  );
  const syncLog = log.child({ connectionId: connection.id, syncRunId: runId });
  const withRequests = () => ({ ...counts, ...(connector?.stats() ?? {}), durationMs: Date.now() - started });
  try {
    const mdm = createConnector(definition, {
      log: syncLog,
      caPem: deps.extraCaPem ?? undefined,
      ...deps.connectorOptions,
    });
    connector = mdm;
    const presence = new Presence();
    let lastBeat = Date.now();
    const progress = async () => {
      await request.touch?.();
      if (Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return;
      lastBeat = Date.now();
      await heartbeat(knex, runId, withRequests());
    };
    // A connection's first sync finds every device new: those pages are copied in rather than upserted.
    const firstSync =
      (deps.bulkCopy ?? true) && !(await knex('devices').where({ connection_id: connection.id }).first('id'));
    for await (const page of mdm.listDevices({ signal: request.signal })) {
      // A device listed again in a later page (paging over a changing set) is upserted, never copied twice.
      const copyable = firstSync && page.every((device) => !presence.devices.has(device.externalId));
      presence.addDevices(page);
      await writes.add(async () => {
        const writeStarted = Date.now();
        const written =
          (copyable ? await copyNewDevicePage(knex, connection.id, page) : null) ??
          (await upsertDevicePage(knex, connection.id, runId, page));
        counts.writeMs += Date.now() - writeStarted;
        counts.devices += written.seen;
        counts.appeared += written.appeared;
        counts.changed += written.changed;
        counts.returned += written.returned;
      });
      await progress();
    }
    await writes.drain();
    // Split the request count by phase, so the listing's cost and the per-app queries' cost can be judged apart.
    counts.listingRequests = mdm.stats().requests;
    for await (const hits of mdm.devicesWithApps(WATCHED_APPS, { signal: request.signal })) {
      presence.addApps(hits);
      await writes.add(async () => {
        const matched = await upsertAppHits(knex, connection.id, hits);
        counts.appHits += matched;
        counts.appHitsUnmatched += hits.length - matched;
      });
      await progress();
    }
    await writes.drain();
    counts.appRequests = mdm.stats().requests - counts.listingRequests;
    const previousHeld = await previousSyncHeldGone(knex, connection.id, runId);
    const guardPercent = deps.goneGuardPercent ?? DEFAULT_GONE_GUARD_PERCENT;
    const final = await knex.transaction(async (trx) => {
      // One instant for both: a device's lastSeenAt is the connection's last complete sync's end.
      const completedAt = new Date();
      const marked = await markUnseen(trx, connection.id, runId, presence, completedAt, (unseen, present) => {
        if (mayMarkGone(unseen, present, guardPercent, previousHeld)) return;
        counts.goneHeld = unseen;
        throw new MdmError(
          'incomplete',
          `the listing lacked ${unseen} of the connection's ${present} devices (${Math.round((unseen / present) * 100)}%), ` +
            `more than the ${guardPercent}% one sync may mark gone (WARDEN_SYNC_GONE_GUARD_PERCENT); nothing was marked ` +
            'gone. If they really left, the next sync that misses them again marks them gone.',
        );
      });
      Object.assign(counts, marked);
      const finalCounts = withRequests();
      await finishSyncRun(trx, runId, 'succeeded', finalCounts, undefined, completedAt);
      await setCredentialStatus(trx, connection, 'ok', null, SYSTEM_ACTOR);
      await scheduleNext(trx, connection.id, connection.syncIntervalMinutes);
      await appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: 'connection.sync',
        target: { type: 'connection', id: connection.id },
        details: { syncRunId: runId, trigger: request.trigger, counts: finalCounts },
      });
      return finalCounts;
    });
    // A first sync (or a tenant that doubled) leaves the planner believing the inventory is still small.
    await refreshStatisticsAfterGrowth(knex, ['devices', 'device_apps'], counts.appeared);
    syncLog.info({ counts: final }, 'sync succeeded');
    return { outcome: 'succeeded', runId, counts: final };
  } catch (error) {
    await writes.settle();
    const failure = describe(error);
    const finalCounts = withRequests();
    syncLog.warn({ err: error, counts: finalCounts }, 'sync failed; nothing was marked gone');
    // The failure may be the database itself going away (a restart): keep trying to close the run, or it would
    // stay "running" and block this connection's syncs until it counts as abandoned (SYNC_STALE_AFTER_MS).
    await untilRecorded(syncLog, () =>
      knex.transaction(async (trx) => {
        // A retry after a commit whose answer was lost finds the run closed already: record nothing twice.
        if (!(await trx('sync_runs').where({ id: runId, outcome: 'running' }).first('id'))) return;
        await finishSyncRun(trx, runId, 'failed', finalCounts, failure);
        if (error instanceof MdmError && error.credentialBroken) {
          await setCredentialStatus(trx, connection, 'broken', failure.message, SYSTEM_ACTOR);
        }
        await scheduleNext(trx, connection.id, connection.syncIntervalMinutes);
        await appendAudit(trx, {
          actor: SYSTEM_ACTOR,
          action: 'connection.sync',
          outcome: 'failure',
          target: { type: 'connection', id: connection.id },
          details: {
            syncRunId: runId,
            trigger: request.trigger,
            counts: finalCounts,
            errorKind: failure.kind,
            error: failure.message,
          },
        });
      }),
    );
    return { outcome: 'failed', runId, counts: finalCounts, errorKind: failure.kind, error: failure.message };
  }
}

/** Whether the connection's sync before this one failed holding devices back from being marked gone. */
async function previousSyncHeldGone(knex: Knex, connectionId: string, runId: number): Promise<boolean> {
  const previous = await knex('sync_runs')
    .where({ connection_id: connectionId })
    .where('id', '<', runId)
    .whereNot({ outcome: 'running' })
    .orderBy('id', 'desc')
    .first('outcome', 'counts');
  return previous?.outcome === 'failed' && Number(previous.counts?.goneHeld ?? 0) > 0;
}

/** How long a failed sync keeps trying to record its failure while the database does not answer. */
const RECORD_FAILURE_FOR_MS = 60_000;

async function untilRecorded(log: Logger, record: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + RECORD_FAILURE_FOR_MS;
  for (;;) {
    try {
      await record();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      log.warn({ err: error }, 'could not record the failed sync yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The next scheduled sync: one interval from now, give or take a tenth, so tenants do not all sync at once. */
export async function scheduleNext(
  trx: Knex.Transaction | Knex,
  connectionId: string,
  intervalMinutes: number,
): Promise<void> {
  const jitter = 1 + (Math.random() * 0.2 - 0.1);
  await trx('connections')
    .where({ id: connectionId })
    .update({ next_sync_at: new Date(Date.now() + intervalMinutes * 60_000 * jitter) });
}
