// Sync runs: one row per attempt to sync a connection. The database allows one running sync per connection
// (a partial unique index), so two workers cannot sync the same tenant at once; a run whose worker died is
// recognised by its stale heartbeat and closed as failed before another starts.
import type { Knex } from 'knex';

/** A running sync beats at least this often; one silent for longer belonged to a worker that died. */
export const SYNC_STALE_AFTER_MS = 10 * 60_000;

export type StartResult = { started: true; runId: number } | { started: false; runningSince: Date };

export async function startSyncRun(
  knex: Knex,
  connectionId: string,
  trigger: string,
  worker: string,
  now = new Date(),
): Promise<StartResult> {
  await knex('sync_runs')
    .where({ connection_id: connectionId, outcome: 'running' })
    .where('heartbeat_at', '<', new Date(now.getTime() - SYNC_STALE_AFTER_MS))
    .update({
      outcome: 'failed',
      finished_at: now,
      error_kind: 'abandoned',
      error: 'the worker stopped during the sync',
    });
  try {
    const [row] = await knex('sync_runs')
      .insert({ connection_id: connectionId, trigger, worker, started_at: now, heartbeat_at: now, outcome: 'running' })
      .returning('id');
    return { started: true, runId: row.id };
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    const running = await knex('sync_runs')
      .where({ connection_id: connectionId, outcome: 'running' })
      .first('started_at');
    return { started: false, runningSince: running?.started_at ?? now };
  }
}

export async function heartbeat(knex: Knex, runId: number, counts: Record<string, number>): Promise<void> {
  await knex('sync_runs')
    .where({ id: runId })
    .update({ heartbeat_at: new Date(), counts: JSON.stringify(counts) });
}

export async function finishSyncRun(
  trx: Knex.Transaction | Knex,
  runId: number,
  outcome: 'succeeded' | 'failed',
  counts: Record<string, number>,
  error?: { kind: string; message: string },
  finishedAt = new Date(),
): Promise<void> {
  await trx('sync_runs')
    .where({ id: runId })
    .update({
      outcome,
      finished_at: finishedAt,
      counts: JSON.stringify(counts),
      error_kind: error?.kind ?? null,
      error: error?.message ?? null,
    });
}
