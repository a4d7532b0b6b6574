// Every hour (and on demand through POST /v1/connections/{id}/sync with scope "directory"): the directory behind
// each enabled connection listed (src/directory/sync.ts), then that connection's device findings evaluated, so
// devices of people who left show as owner-departed, and those whose policies say so are offboarded (their
// devices retired without approval: src/actions/offboarding.ts). One failing connection does not stop the others.
// Connections whose MDM has no directory (Jamf Pro, Android Management) are skipped and counted as such.
import { offboardDeparted } from '../src/actions/offboarding';
import { syncDirectory } from '../src/directory/sync';
import { evaluateFindings } from '../src/findings/evaluate';
import { type JobCounts, type JobDefinition, JobFailure } from '../src/worker/job';

export type DirectorySyncData = { connectionId?: string };

export const directorySync: JobDefinition<DirectorySyncData> = {
  name: 'directory-sync',
  description: 'Lists the directory behind each MDM connection, then evaluates device findings (owner departed)',
  every: '1 hour',
  lockLifetimeMs: 30 * 60_000,
  concurrency: 1,
  async run({ db, log, config, secretBox, touch, enqueue }, data) {
    const ids: string[] = data.connectionId
      ? [data.connectionId]
      : (await db.knex('connections').where({ enabled: true }).orderBy('name').select('id')).map(
          (c: { id: string }) => c.id,
        );
    const counts: JobCounts = {
      connections: ids.length,
      failed: 0,
      skipped: 0,
      users: 0,
      deleted: 0,
      findingsOpened: 0,
      offboarded: 0,
    };
    const failures: string[] = [];
    for (const connectionId of ids) {
      const result = await syncDirectory(
        { knex: db.knex, log, secretBox, extraCaPem: config.extraCaPem },
        connectionId,
        { touch },
      );
      if (result.outcome === 'skipped') {
        counts.skipped!++;
        continue;
      }
      counts.users! += result.counts.users;
      counts.deleted! += result.counts.deleted;
      if (result.outcome === 'failed') {
        counts.failed!++;
        failures.push(`${connectionId}: ${result.errorKind}: ${result.error}`);
        continue;
      }
      counts.findingsOpened! += (await evaluateFindings(db.knex, { connectionId })).opened;
      const departures = await offboardDeparted(db.knex, config.actions, connectionId, log);
      counts.offboarded! += departures.offboarded;
    }
    // Retires requested without approval are due at once (or after their cancel window, on the dispatcher's schedule).
    if (counts.offboarded! > 0) await enqueue('action-dispatch', {});
    if (failures.length > 0) throw new JobFailure(failures.join('; '), counts);
    return counts;
  },
};
