// /v1/webhooks: subscriptions to action and critical-finding events, signed deliveries (src/webhooks/).
import { createWebhook, deleteWebhook, listWebhooks, type Webhook } from '../../webhooks/store';
import type { RouteTable } from '../route';

const present = (webhook: Webhook) => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  createdAt: webhook.createdAt.toISOString(),
});

export const webhookRoutes = {
  createWebhook: {
    roles: ['admin'],
    auditAction: 'webhook.create',
    async handler({ input, deps, by }) {
      const { webhook, secret } = await createWebhook(deps.db.knex, deps.secretBox, input.body, by);
      return { status: 201, body: { ...present(webhook), secret } };
    },
  },

  listWebhooks: {
    roles: ['admin'],
    async handler({ deps }) {
      return { status: 200, body: { items: (await listWebhooks(deps.db.knex)).map(present) } };
    },
  },

  deleteWebhook: {
    roles: ['admin'],
    auditAction: 'webhook.delete',
    async handler({ input, deps, by }) {
      await deleteWebhook(deps.db.knex, input.params.id, by);
      return { status: 204 };
    },
  },
} satisfies RouteTable;
