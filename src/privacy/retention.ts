// Inventory retention (GDPR art. 5(1)(e), storage limitation): what the syncs recorded about devices and their
// users is kept for WARDEN_INVENTORY_RETENTION_DAYS, then deleted, in small batches (each its own statement, so
// no lock is held for long and a sync running meanwhile only waits for one batch). What goes, once older than
// the retention:
// - devices gone (a complete sync stopped finding them) for longer, with their apps, history and findings;
//   except a device with an open finding, or one that a remote action names (deleting it would delete the
//   action's record of that device): those are kept, and counted;
// - device history entries (device_changes) observed before;
// - resolved findings resolved before (open findings are never deleted);
// - sync runs finished before, except each connection's last run and last complete run (its `lastSync`);
// - directory users deleted from the directory before, that no device names as its user any more.
// Never deleted: devices not gone, open findings, remote actions, the audit log, policies, drift checks.
import type { Knex } from 'knex';
import { appendAudit } from '../audit/store';
import { SYSTEM_ACTOR } from '../auth/roles';

export interface PruneCounts {
  devices: number;
  deviceHistory: number;
  findings: number;
  syncRuns: number;
  directoryUsers: number;
  /** Devices gone for longer than the retention but kept: an open finding or a remote action names them. */
  devicesKept: number;
}

export interface PruneOptions {
  retentionDays: number;
  /** Rows per delete statement. */
  batchSize?: number;
  now?: Date;
  /** Called between batches (the job extends its lock). */
  touch?: () => Promise<void>;
}

const DEVICES = `
  delete from devices where id in (
    select d.id from devices d
     where d.gone_at < :cutoff
       and not exists (select 1 from findings f where f.device_id = d.id and f.resolved_at is null)
       and not exists (select 1 from device_actions da where da.device_id = d.id)
     limit :batch for update skip locked)
  and gone_at < :cutoff`;

const DEVICE_HISTORY = `
  delete from device_changes where id in (
    select id from device_changes where observed_at < :cutoff order by id limit :batch)`;

const FINDINGS = `
  delete from findings where id in (
    select id from findings where resolved_at < :cutoff limit :batch)
  and resolved_at is not null`;

const SYNC_RUNS = `
  delete from sync_runs where id in (
    select s.id from sync_runs s
     where s.finished_at < :cutoff and s.outcome <> 'running'
       and s.id <> (select max(l.id) from sync_runs l where l.connection_id = s.connection_id)
       and s.id <> coalesce((select max(l.id) from sync_runs l
                              where l.connection_id = s.connection_id and l.outcome = 'succeeded'), 0)
     order by s.id limit :batch)`;

const DIRECTORY_USERS = `
  delete from directory_users where (connection_id, external_id) in (
    select u.connection_id, u.external_id from directory_users u
     where u.deleted_at < :cutoff
       and not exists (select 1 from devices d
                        where d.connection_id = u.connection_id and d.user_external_id = u.external_id)
     limit :batch)
  and deleted_at < :cutoff`;

const KEPT = `
  select count(*)::int as kept from devices d
   where d.gone_at < :cutoff
     and (exists (select 1 from findings f where f.device_id = d.id and f.resolved_at is null)
          or exists (select 1 from device_actions da where da.device_id = d.id))`;

async function inBatches(
  knex: Knex,
  sql: string,
  bindings: { cutoff: Date; batch: number },
  touch?: () => Promise<void>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await knex.raw(sql, bindings);
    const deleted = result.rowCount ?? 0;
    total += deleted;
    if (deleted < bindings.batch) return total;
    await touch?.();
  }
}

export async function pruneInventory(knex: Knex, options: PruneOptions): Promise<PruneCounts & { cutoff: Date }> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.retentionDays * 86_400_000);
  const bindings = { cutoff, batch: options.batchSize ?? 5000 };
  const run = (sql: string) => inBatches(knex, sql, bindings, options.touch);
  // Devices first: their history and findings go with them, and their users may then have no device left.
  const devices = await run(DEVICES);
  const counts: PruneCounts = {
    devices,
    findings: await run(FINDINGS),
    deviceHistory: await run(DEVICE_HISTORY),
    syncRuns: await run(SYNC_RUNS),
    directoryUsers: await run(DIRECTORY_USERS),
    devicesKept: (await knex.raw(KEPT, { cutoff })).rows[0].kept,
  };
  const deleted = counts.devices + counts.findings + counts.deviceHistory + counts.syncRuns + counts.directoryUsers;
  if (deleted > 0) {
    await knex.transaction((trx) =>
      appendAudit(trx, {
        actor: SYSTEM_ACTOR,
        action: 'inventory.prune',
        details: { retentionDays: options.retentionDays, cutoff: cutoff.toISOString(), ...counts },
      }),
    );
  }
  return { ...counts, cutoff };
}
