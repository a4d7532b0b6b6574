// Every minute: queue a sync for each enabled connection whose next sync is due. The row lock and the moved
// next_sync_at make two workers dispatching at once queue each connection once; the sync itself sets the next
// time (its interval, jittered) when it ends.
import type { JobDefinition } from '../src/worker/job';

/** Pushed ahead at dispatch so the same connection is not queued again while its sync waits or runs. */
const DISPATCH_HOLD_MS = 30 * 60_000;

export const syncDispatch: JobDefinition = {
  name: 'sync-dispatch',
  description: 'Queues the inventory syncs that are due',
  every: '1 minute',
  lockLifetimeMs: 5 * 60_000,
  concurrency: 1,
  async run({ db, enqueue }) {
    const due: Array<{ id: string }> = await db.knex.transaction(async (trx) => {
      const rows = await trx('connections')
        .select('id')
        .where({ enabled: true })
        .where('next_sync_at', '<=', new Date())
        .forUpdate()
        .skipLocked();
      if (rows.length > 0) {
        await trx('connections')
          .whereIn(
            'id',
            rows.map((r: { id: string }) => r.id),
          )
          .update({ next_sync_at: new Date(Date.now() + DISPATCH_HOLD_MS) });
      }
      return rows;
    });
    for (const { id } of due) await enqueue('connection-sync', { connectionId: id, trigger: 'schedule' });
    return { queued: due.length };
  },
};
