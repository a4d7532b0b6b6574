// Every 10 seconds: due webhook deliveries are sent, signed, and retried with backoff (src/webhooks/deliver.ts).

import { deliverDue } from '../src/webhooks/deliver';
import type { JobDefinition } from '../src/worker/job';

export const webhookDeliver: JobDefinition = {
  name: 'webhook-deliver',
  description: 'Sends due webhook deliveries (signed with HMAC-SHA256), retrying failures with backoff',
  every: '10 seconds',
  lockLifetimeMs: 10 * 60_000,
  concurrency: 1,
  async run({ db, log, secretBox }) {
    return { ...(await deliverDue({ knex: db.knex, log, secretBox })) };
  },
};
