// Hourly: record today's posture figures for the trend (the day's last snapshot wins, so a day is not lost when
// the worker was down at midnight) and prune snapshots older than the retention.
import { takePostureSnapshot } from '../src/posture/summary';
import type { JobDefinition } from '../src/worker/job';

export const postureSnapshot: JobDefinition = {
  name: 'posture-snapshot',
  description: "Records today's posture figures for GET /v1/posture/trend and prunes snapshots past the retention",
  every: '1 hour',
  lockLifetimeMs: 10 * 60_000,
  concurrency: 1,
  async run({ db, config }) {
    const { pruned } = await takePostureSnapshot(db.knex, { retentionDays: config.posture.retentionDays });
    return { snapshots: 1, pruned };
  },
};
