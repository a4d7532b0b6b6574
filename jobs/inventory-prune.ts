// Daily: delete inventory history older than WARDEN_INVENTORY_RETENTION_DAYS (devices gone that long, device
// history, resolved findings, sync runs, directory users deleted that long), in batches; see
// src/privacy/retention.ts for exactly what goes and what never does. The counts land in job_runs.
import { pruneInventory } from '../src/privacy/retention';
import type { JobDefinition } from '../src/worker/job';

export const inventoryPrune: JobDefinition = {
  name: 'inventory-prune',
  description: 'Deletes inventory history older than WARDEN_INVENTORY_RETENTION_DAYS, in batches',
  every: '1 day',
  lockLifetimeMs: 30 * 60_000,
  concurrency: 1,
  async run({ db, config, touch }) {
    const { cutoff: _cutoff, ...counts } = await pruneInventory(db.knex, {
      retentionDays: config.inventoryRetentionDays,
      touch,
    });
    return counts;
  },
};
