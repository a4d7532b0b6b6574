// On PostgreSQL a job queued by the API process wakes a worker in another process at once (LISTEN/NOTIFY),
// instead of waiting for its next poll. The worker here polls only every ten minutes, so a prompt run can only
// come from the notification.
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { JobDefinition } from '../../src/worker/job';
import { createQueue, startWorker } from '../../src/worker/scheduler';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('job notifications', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('wakes a worker as soon as another process queues a job', async () => {
    const deps = { config: loadConfig({}), db, log: createLogger('silent'), secretBox: null };
    const ran: number[] = [];
    const job: JobDefinition = {
      name: 'test-ping',
      description: 'records when it ran',
      every: null,
      lockLifetimeMs: 60_000,
      concurrency: 1,
      run: async () => {
        ran.push(Date.now());
        return {};
      },
    };
    const worker = await startWorker(deps, [job], { processEvery: '10 minutes' });
    const queue = await createQueue(deps); // as the API process has
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the worker's first, immediate poll
      const queuedAt = Date.now();
      await queue.runNow('test-ping');
      const deadline = Date.now() + 5000;
      while (ran.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ran).toHaveLength(1);
      expect(ran[0]! - queuedAt).toBeLessThan(2000);
    } finally {
      await queue.stop();
      await worker.stop();
    }
  });
});
