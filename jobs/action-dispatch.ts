// Every 30 seconds (and at once when a request is approved or needs no approval): requests not approved in time
// expire, then every due device action is sent exactly once (src/actions/dispatch.ts).
import { dispatchDue } from '../src/actions/dispatch';
import { expireActions } from '../src/actions/service';
import type { JobDefinition } from '../src/worker/job';

/** The first look at the MDM after sending. */
const CONFIRM_AFTER_MS = 5_000;

export const actionDispatch: JobDefinition = {
  name: 'action-dispatch',
  description: 'Sends approved remote actions whose cancel window has passed, exactly once; expires stale requests',
  every: '30 seconds',
  lockLifetimeMs: 10 * 60_000,
  // Two at once: a run queued while another runs starts at once instead of at the next poll. Claims are row locks
  // with a state change, so two runs never take the same device action.
  concurrency: 2,
  async run({ db, log, config, secretBox, touch, enqueueAt }) {
    const expired = await expireActions(db.knex);
    const counts = await dispatchDue(
      { knex: db.knex, log, secretBox, extraCaPem: config.extraCaPem, leaseMs: config.actions.leaseSeconds * 1000 },
      { touch },
    );
    // Devices report back within seconds to minutes: ask soon, and the confirm job keeps asking while any waits.
    if (counts.sent + counts.foundSent > 0)
      await enqueueAt(new Date(Date.now() + CONFIRM_AFTER_MS), 'action-confirm', {});
    return { expired, ...counts };
  },
};
