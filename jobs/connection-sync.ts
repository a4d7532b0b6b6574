// One inventory sync of one connection, queued by sync-dispatch on schedule or by POST /v1/connections/{id}/sync.
// Several connections sync in parallel; one connection never syncs twice at once (see src/inventory/runs.ts).
import { evaluateFindings } from '../src/findings/evaluate';
import { syncConnection } from '../src/inventory/sync';
import { type JobCounts, type JobDefinition, JobFailure } from '../src/worker/job';

export type ConnectionSyncData = {
  connectionId: string;
  trigger: 'schedule' | 'manual';
};

export const connectionSync: JobDefinition<ConnectionSyncData> = {
  name: 'connection-sync',
  description: 'Syncs the devices and watched apps of one MDM connection, then evaluates its findings',
  every: null,
  lockLifetimeMs: 30 * 60_000,
  concurrency: 4,
  async run({ db, log, config, secretBox, worker, touch }, data) {
    const result = await syncConnection(
      {
        knex: db.knex,
        log,
        secretBox,
        extraCaPem: config.extraCaPem,
        goneGuardPercent: config.syncGoneGuardPercent,
        bulkCopy: !db.embedded,
      },
      { connectionId: data.connectionId, trigger: data.trigger, worker, touch },
    );
    if (result.outcome === 'skipped') {
      log.info({ connectionId: data.connectionId, reason: result.reason }, 'sync skipped');
      return { skipped: 1 };
    }
    if (result.outcome === 'failed') throw new JobFailure(`${result.errorKind}: ${result.error}`, result.counts);
    // Findings follow the inventory: evaluated after every complete sync of this connection.
    const findings = await evaluateFindings(db.knex, { connectionId: data.connectionId });
    const counts: JobCounts = {
      ...result.counts,
      findingsOpened: findings.opened,
      findingsResolved: findings.resolved,
    };
    return counts;
  },
};
