// Remote actions through the API and the worker against the emulated tenant: a lock is sent once and confirmed
// from the MDM's record; a wipe waits for a second admin (never the requester, never a viewer), then for its
// cancel window, then is sent once; it can be canceled before it is sent; caps, the fleet-share limit and a
// device with an action under way refuse with a reason and a way forward; the same idempotency key answers with
// the same request. A send whose answer is lost (a 504 after the MDM acted) is found at the MDM, not resent.
import { actionCount, emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import { startEmulator } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

interface ActionBody {
  id: string;
  action: string;
  status: string;
  approvalsRequired: number;
  approvals: Array<{ by: { name: string } }>;
  sendAfter: string | null;
  devices: Array<{ deviceId: string; state: string; attempts: number; error: string | null }>;
}

describe('remote actions through the API and the worker', () => {
  let emulator: GraphEmulator;
  let api: TestApi;
  let devices: Array<{ id: string; externalId: string }>;
  let secondAdmin: string;
  let thirdAdmin: string;
  let viewer: string;
  let key = 0;
  const nextKey = () => `test-key-${++key}-${Date.now()}`;

  const ask = (body: Record<string, unknown>, token?: string) =>
    api.request<ActionBody & { detail: string; reason: string; howToProceed: string; field: string; status: number }>(
      'POST',
      '/v1/actions',
      { body: { reason: 'test', idempotencyKey: nextKey(), ...body }, token },
    );
  const get = async (id: string) => (await api.request<ActionBody>('GET', `/v1/actions/${id}`)).body;

  async function until(id: string, done: (action: ActionBody) => boolean, seconds = 40): Promise<ActionBody> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const action = await get(id);
      if (done(action)) return action;
      if (Date.now() > deadline) throw new Error(`action ${id} stuck: ${JSON.stringify(action.devices)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 20, seed: 5, actionLatencyMs: 300 });
    api = await startTestApi({
      worker: true,
      config: {
        extraCaPem: emulator.caPem,
        actions: {
          cancelWindowSeconds: 2,
          destructivePerRequest: 2,
          destructivePerHour: 4,
          fleetSharePercent: 10,
          approvalHours: 24,
          leaseSeconds: 300,
        },
      },
    });
    const connection = await api.request<{ id: string }>('POST', '/v1/connections', {
      body: { name: 'contoso', ...emulatorConnection(emulator) },
    });
    await api.request('POST', `/v1/connections/${connection.body.id}/sync`);
    const synced = () => api.db.knex('job_runs').where({ job_name: 'connection-sync', outcome: 'succeeded' }).first();
    while (!(await synced())) await new Promise((resolve) => setTimeout(resolve, 100));
    devices = (await api.db.knex('devices').orderBy('name').select('id', 'external_id')).map(
      (d: { id: string; external_id: string }) => ({ id: d.id, externalId: d.external_id }),
    );
    secondAdmin = await api.tokenFor('admin', 'second-admin');
    thirdAdmin = await api.tokenFor('admin', 'third-admin');
    viewer = await api.tokenFor('security-viewer');
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  it('sends a lock at once, exactly once, and confirms it from the MDM', async () => {
    const [device] = devices;
    const asked = await ask({ action: 'lock', devices: [device!.id] });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ approvalsRequired: 0 });
    const done = await until(asked.body.id, (a) => a.status === 'done');
    expect(done.devices).toEqual([expect.objectContaining({ state: 'confirmed', attempts: 1, error: null })]);
    expect(actionCount(emulator.stats(), device!.externalId, 'remoteLock')).toBe(1);
    const actions = await api.db
      .knex('audit_events')
      .whereIn('action', ['action.request', 'action.sent', 'action.confirm']);
    expect(actions.map((a) => a.action).sort()).toEqual(['action.confirm', 'action.request', 'action.sent']);
  }, 60_000);

  it('answers the same idempotency key with the same request, and refuses it for another request', async () => {
    const body = { action: 'sync', devices: [devices[1]!.id], reason: 'refresh', idempotencyKey: 'same-key-123' };
    const first = await api.request<ActionBody>('POST', '/v1/actions', { body });
    const again = await api.request<ActionBody>('POST', '/v1/actions', { body });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const other = await api.request<{ field: string }>('POST', '/v1/actions', {
      body: { ...body, devices: [devices[2]!.id] },
    });
    expect(other).toMatchObject({ status: 409, body: { field: 'body.idempotencyKey' } });
    await until(first.body.id, (a) => a.status === 'done');
  }, 60_000);

  it('wipes only after a second admin approves and the cancel window passes, and sends it once', async () => {
    const target = devices[3]!;
    const asked = await ask({ action: 'wipe', devices: [target.id], reason: 'stolen phone' });
    expect(asked.body).toMatchObject({ status: 'awaiting-approval', approvalsRequired: 1, sendAfter: null });
    const own = await api.request<{ detail: string }>('POST', `/v1/actions/${asked.body.id}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/requester cannot approve/);
    const byViewer = await api.request('POST', `/v1/actions/${asked.body.id}/approve`, { token: viewer });
    expect(byViewer.status).toBe(403);
    expect(actionCount(emulator.stats(), target.externalId, 'wipe')).toBe(0);

    const approved = await api.request<ActionBody>('POST', `/v1/actions/${asked.body.id}/approve`, {
      token: secondAdmin,
    });
    expect(approved.body).toMatchObject({ status: 'scheduled', approvals: [{ by: { name: 'second-admin' } }] });
    expect(Date.parse(approved.body.sendAfter!)).toBeGreaterThan(Date.now() + 500);
    const done = await until(asked.body.id, (a) => a.status === 'done');
    expect(done.devices[0]).toMatchObject({ state: 'confirmed', attempts: 1 });
    expect(actionCount(emulator.stats(), target.externalId, 'wipe')).toBe(1);
  }, 60_000);

  it('cancels a wipe in its cancel window, so it is never sent', async () => {
    const target = devices[4]!;
    const asked = await ask({ action: 'retire', devices: [target.id] });
    await api.request('POST', `/v1/actions/${asked.body.id}/approve`, { token: secondAdmin });
    const canceled = await api.request<ActionBody>('POST', `/v1/actions/${asked.body.id}/cancel`);
    expect(canceled.body).toMatchObject({ status: 'canceled', devices: [{ state: 'canceled' }] });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(actionCount(emulator.stats(), target.externalId, 'retire')).toBe(0);
    const late = await api.request<{ reason: string }>('POST', `/v1/actions/${asked.body.id}/cancel`);
    expect(late.status).toBe(409);
  }, 30_000);

  it('refuses, saying why and how to proceed: too many devices, a busy device, the fleet share', async () => {
    const tooMany = await ask({ action: 'wipe', devices: devices.slice(5, 8).map((d) => d.id) });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ limit: 2, requested: 3 });
    expect(tooMany.body.howToProceed).toMatch(/split it into requests of at most 2/);

    const pending = await ask({ action: 'wipe', devices: [devices[5]!.id] });
    const busy = await ask({ action: 'lock', devices: [devices[5]!.id] });
    expect(busy).toMatchObject({ status: 409, body: { field: 'body.devices' } });
    expect(busy.body.reason).toMatch(/already has an action under way/);
    await api.request('POST', `/v1/actions/${pending.body.id}/cancel`);

    // 10% of 20 devices: a lock of 3 needs the glass broken, and then two admins other than the requester.
    const wide = await ask({ action: 'lock', devices: devices.slice(10, 13).map((d) => d.id) });
    expect(wide).toMatchObject({ status: 409, body: { field: 'body.breakGlass', limit: 2, requested: 3 } });
    expect(wide.body.howToProceed).toMatch(/breakGlass/);
    const glass = await ask({ action: 'lock', devices: devices.slice(10, 13).map((d) => d.id), breakGlass: true });
    expect(glass.body).toMatchObject({ status: 'awaiting-approval', approvalsRequired: 2 });
    const one = await api.request<ActionBody>('POST', `/v1/actions/${glass.body.id}/approve`, { token: secondAdmin });
    expect(one.body.status).toBe('awaiting-approval');
    const twice = await api.request('POST', `/v1/actions/${glass.body.id}/approve`, { token: secondAdmin });
    expect(twice.status).toBe(403);
    await api.request('POST', `/v1/actions/${glass.body.id}/approve`, { token: thirdAdmin });
    const sent = await until(glass.body.id, (a) => a.status === 'done');
    expect(sent.devices.map((d) => d.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
  }, 60_000);

  it('after a worker died mid-send, asks the MDM first: sends only what did not arrive', async () => {
    // Two wipes stuck in "sending" with an expired lease, as a worker killed around its MDM call leaves them:
    // one reached the MDM before the worker died, the other did not.
    const [arrived, lost] = [devices[15]!, devices[16]!];
    const stuck = [];
    for (const device of [arrived, lost]) {
      const asked = await ask({ action: 'wipe', devices: [device.id] });
      await api.db
        .knex('device_actions')
        .where({ action_id: asked.body.id })
        .update({
          state: 'sending',
          attempts: 1,
          first_attempt_at: new Date(Date.now() - 1000),
          lease_until: new Date(),
        });
      await api.db.knex('actions').where({ id: asked.body.id }).update({ approved_at: new Date() });
      stuck.push(asked.body.id);
    }
    emulator.tenant.recordAction(arrived.externalId, 'wipe');
    await api.scheduler.runNow('action-dispatch');
    const [found, resent] = await Promise.all(stuck.map((id) => until(id, (a) => a.devices[0]!.state === 'confirmed')));
    expect(found!.devices[0]!.attempts).toBe(2);
    expect(resent!.devices[0]!.attempts).toBe(2);
    // No Graph call for the one the MDM already held; exactly one for the one it did not.
    expect(actionCount(emulator.stats(), arrived.externalId, 'wipe')).toBe(0);
    expect(actionCount(emulator.stats(), lost.externalId, 'wipe')).toBe(1);
    const flags = await api.db
      .knex('device_actions')
      .whereIn('action_id', stuck)
      .orderBy('device_id')
      .select('device_id', 'found_sent');
    expect(
      Object.fromEntries(flags.map((f: { device_id: string; found_sent: boolean }) => [f.device_id, f.found_sent])),
    ).toEqual({
      [arrived.id]: true,
      [lost.id]: false,
    });
  }, 60_000);
});
