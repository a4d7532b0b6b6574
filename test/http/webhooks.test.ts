// Webhooks through the API and the worker: a subscription gets each action event as a signed POST (the receiver
// recomputes the HMAC with the secret it was given once); a receiver that fails is retried until it answers;
// deleting a subscription drops what was not delivered; bad URLs and non-admins are refused.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('webhooks', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let failNext = 0;

  const waitFor = async (what: string, check: () => Promise<boolean> | boolean) => {
    const deadline = Date.now() + 40_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await api.scheduler.runNow('webhook-deliver');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };

  beforeAll(async () => {
    receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        if (failNext > 0) {
          failNext--;
          response.writeHead(500).end();
          return;
        }
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    emulator = await startEmulator({ devices: 10, seed: 3, actionLatencyMs: 100 });
    api = await startTestApi({ worker: true, config: { extraCaPem: emulator.caPem } });
    const connection = await api.request<{ id: string }>('POST', '/v1/connections', {
      body: { name: 'contoso', ...emulatorConnection(emulator) },
    });
    await api.request('POST', `/v1/connections/${connection.body.id}/sync`);
    const synced = () => api.db.knex('job_runs').where({ job_name: 'connection-sync', outcome: 'succeeded' }).first();
    while (!(await synced())) await new Promise((resolve) => setTimeout(resolve, 100));
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('delivers each action event, signed with the secret given once', async () => {
    const created = await api.request<{ id: string; secret: string; events: string[] }>('POST', '/v1/webhooks', {
      body: { url: receiverUrl, events: ['action.*'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const listed = await api.request<{ items: Array<Record<string, unknown>> }>('GET', '/v1/webhooks');
    expect(listed.body.items).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);

    const [device] = await api.db.knex('devices').select('id').limit(1);
    const asked = await api.request<{ id: string }>('POST', '/v1/actions', {
      body: { action: 'lock', devices: [device.id], reason: 'lost', idempotencyKey: 'webhook-lock-1' },
    });
    const events = () => received.map((r) => JSON.parse(r.body).event as string);
    await waitFor('requested, sent and confirmed', () =>
      ['action.requested', 'action.sent', 'action.confirmed'].every((e) => events().includes(e)),
    );
    for (const delivery of received) {
      const timestamp = String(delivery.headers['x-warden-timestamp']);
      const expected = `sha256=${createHmac('sha256', created.body.secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`;
      expect(delivery.headers['x-warden-signature']).toBe(expected);
      const body = JSON.parse(delivery.body);
      expect(delivery.headers['x-warden-event']).toBe(body.event);
      expect(delivery.headers['x-warden-delivery']).toBe(body.id);
      expect(body.data.actionId).toBe(asked.body.id);
    }
  }, 60_000);

  it('retries a receiver that fails until it answers', async () => {
    received.length = 0;
    failNext = 1;
    const [, device] = await api.db.knex('devices').select('id').orderBy('id').limit(2);
    await api.request('POST', '/v1/actions', {
      body: { action: 'sync', devices: [device.id], reason: 'refresh', idempotencyKey: 'webhook-sync-1' },
    });
    await waitFor('a failed attempt', async () =>
      Boolean(await api.db.knex('webhook_deliveries').where('last_status', 500).first()),
    );
    // Its retry is due in 30 s; bring it forward rather than wait.
    await api.db.knex('webhook_deliveries').whereNull('delivered_at').update({ next_attempt_at: new Date() });
    await waitFor('the retried delivery', () => received.some((r) => JSON.parse(r.body).event === 'action.requested'));
    const retried = await api.db
      .knex('webhook_deliveries')
      .where('event', 'action.requested')
      .orderBy('id', 'desc')
      .first();
    expect(retried).toMatchObject({ attempts: 2, last_status: 204 });
  }, 60_000);

  it('drops undelivered events of a deleted webhook, and refuses bad URLs and non-admins', async () => {
    const [hook] = (await api.request<{ items: Array<{ id: string }> }>('GET', '/v1/webhooks')).body.items;
    await api.db
      .knex('webhook_deliveries')
      .update({ delivered_at: null, next_attempt_at: new Date(Date.now() + 3_600_000) });
    expect((await api.request('DELETE', `/v1/webhooks/${hook!.id}`)).status).toBe(204);
    expect(await api.db.knex('webhook_deliveries').whereNull('delivered_at')).toEqual([]);
    expect((await api.request<{ items: unknown[] }>('GET', '/v1/webhooks')).body.items).toEqual([]);
    const plain = await api.request<{ field: string }>('POST', '/v1/webhooks', {
      body: { url: 'http://example.com/hooks', events: ['action.*'] },
    });
    expect(plain).toMatchObject({ status: 400, body: { field: 'body.url' } });
    const viewer = await api.tokenFor('security-viewer');
    expect((await api.request('GET', '/v1/webhooks', { token: viewer })).status).toBe(403);
    expect((await api.request('DELETE', `/v1/webhooks/${hook!.id}`)).status).toBe(404);
  });
});
