// Every minute: sent remote actions are confirmed (or failed) from the MDM's own record of them.

import type { Knex } from 'knex';
import { confirmSent } from '../src/actions/dispatch';
import type { JobDefinition } from '../src/worker/job';

const FOLLOW_UP_MS = 15_000;

/** Whether a follow-up run of this job is already waiting in agenda's table. */
async function followUpQueued(knex: Knex): Promise<boolean> {
  const row = await knex('agenda_jobs')
    .where({ name: 'action-confirm', type: 'normal' })
    .whereNull('last_finished_at')
    .whereNull('locked_at')
    .whereNotNull('next_run_at')
    .first('id');
  return row !== undefined;
}

export const actionConfirm: JobDefinition = {
  name: 'action-confirm',
  description: 'Confirms sent remote actions from the MDM (deviceActionResults), or marks them failed',
  every: '1 minute',
  lockLifetimeMs: 10 * 60_000,
  concurrency: 1,
  async run({ db, log, config, secretBox, enqueueAt, worker }) {
    const counts = await confirmSent({ knex: db.knex, log, secretBox, extraCaPem: config.extraCaPem });
    // While actions wait on their devices, look again sooner than the schedule would (one follow-up at a time).
    if (counts.pending > 0 && !(await followUpQueued(db.knex)))
      await enqueueAt(new Date(Date.now() + FOLLOW_UP_MS), 'action-confirm', { followUp: worker });
    return { ...counts };
  },
};
