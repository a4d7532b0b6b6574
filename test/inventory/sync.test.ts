// Inventory sync end to end: the real connector over HTTPS against an emulated 10,000-device Intune tenant,
// through the API and the worker, into PostgreSQL. A clean sync and a sync under 30% 429s and 5% 5xx store the
// same devices and app holders; a listing that ends early fails the sync and marks nothing gone; a wrong
// secret breaks the credential while throttling never does.
import { randomUUID } from 'node:crypto';
import { syncConnection } from '../../src/inventory/sync';
import { WATCHED_APPS } from '../../src/inventory/watched-apps';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  emulatorConnection,
  type GraphEmulator,
  startGraphEmulator,
} from '../../src/sim/graph';
import { startTestApi, type TestApi } from '../support/api';

const FLEET = 10_000;
const WATCHED = new Set(WATCHED_APPS.map((a) => a.toLowerCase()));

interface SyncRunBody {
  id: number;
  finishedAt: string | null;
  outcome: string;
  counts: Record<string, number>;
  errorKind: string | null;
  startedAt: string;
}
interface ConnectionBody {
  id: string;
  credentialStatus: string;
  lastSync: SyncRunBody | null;
  lastCompleteSync: SyncRunBody | null;
}

describe('inventory sync', () => {
  let emulator: GraphEmulator;
  let api: TestApi;

  const connect = async (name: string, clientSecret = DEFAULT_CLIENT_SECRET) =>
    (
      await api.request<{ id: string }>('POST', '/v1/connections', {
        body: {
          name,
          ...emulatorConnection(emulator, {
            clientId: DEFAULT_CLIENT_ID,
            credentials: { type: 'client-secret', clientSecret },
          }),
        },
      })
    ).body.id;

  /** Runs a sync in this process, with retry settings fit for a test. */
  const syncNow = (connectionId: string, retry: { baseDelayMs: number; maxDelayMs: number; maxAttempts: number }) =>
    syncConnection(
      {
        knex: api.db.knex,
        log: api.log,
        secretBox: api.secretBox,
        extraCaPem: emulator.caPem,
        connectorOptions: { retry },
      },
      { connectionId, trigger: 'manual', worker: 'test' },
    );

  /** Requests a sync through the API and waits for the worker to finish it. */
  async function syncThroughApi(connectionId: string): Promise<ConnectionBody> {
    const current = async () => (await api.request<ConnectionBody>('GET', `/v1/connections/${connectionId}`)).body;
    const previousRun = (await current()).lastSync?.id ?? 0;
    // The job evaluates findings after the sync run ends: wait for the job's own run too.
    const jobsDone = async () =>
      Number(
        (
          await api.db
            .knex('job_runs')
            .where({ job_name: 'connection-sync' })
            .whereNot({ outcome: 'running' })
            .count({ n: '*' })
        )[0]!.n,
      );
    const jobsBefore = await jobsDone();
    expect((await api.request('POST', `/v1/connections/${connectionId}/sync`)).status).toBe(202);
    for (;;) {
      const connection = await current();
      const run = connection.lastSync;
      if (run && run.id > previousRun && run.outcome !== 'running' && (await jobsDone()) > jobsBefore)
        return connection;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** What the emulator holds: device ids and, per watched app identifier, the devices holding it. */
  function emulatorTruth() {
    const ids = [...emulator.tenant.devices()].map((d) => d.id).sort();
    const holders = new Set<string>();
    for (const app of emulator.tenant.detectedApps()) {
      if (!WATCHED.has((app.displayName ?? '').toLowerCase())) continue;
      for (const ordinal of emulator.tenant.deviceOrdinalsWithApp(app.id)) {
        holders.add(
          `${emulator.tenant.deviceAt(ordinal).id} ${app.displayName} ${app.platform === 'androidWorkProfile' ? 'work-profile' : 'device'}`,
        );
      }
    }
    return { ids, holders: [...holders].sort() };
  }

  async function stored(connectionId: string) {
    const devices = await api.db
      .knex('devices')
      .where({ connection_id: connectionId, gone_at: null })
      .select('external_id', 'native');
    const apps = await api.db
      .knex('device_apps as a')
      .join('devices as d', 'd.id', 'a.device_id')
      .where({ 'd.connection_id': connectionId, 'a.removed_at': null })
      .select('d.external_id', 'a.identifier', 'a.scope');
    return {
      ids: devices.map((d) => d.external_id).sort(),
      natives: new Map(devices.map((d) => [d.external_id, d.native])),
      holders: [...new Set(apps.map((a) => `${a.external_id} ${a.identifier} ${a.scope}`))].sort(),
    };
  }

  beforeAll(async () => {
    emulator = await startGraphEmulator({ pkiDir: '.warden/pki', devices: FLEET, seed: 7, actionLatencyMs: 10 });
    api = await startTestApi({ worker: true, config: { extraCaPem: emulator.caPem } });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await emulator?.stop();
  });

  let cleanId: string;

  it("stores exactly the emulator's devices (same ids, same fields) and the same app holders", async () => {
    cleanId = await connect('clean');
    const connection = await syncThroughApi(cleanId);
    expect(connection.lastSync).toMatchObject({
      outcome: 'succeeded',
      counts: { devices: FLEET, appeared: FLEET, gone: 0 },
    });
    expect(connection.credentialStatus).toBe('ok');
    expect(connection.lastCompleteSync).toEqual(connection.lastSync);

    const truth = emulatorTruth();
    const mine = await stored(cleanId);
    expect(mine.ids).toEqual(truth.ids);
    expect(mine.holders).toEqual(truth.holders);
    expect(truth.holders.some((h) => h.endsWith('work-profile'))).toBe(true);
    for (const device of [...emulator.tenant.devices()].slice(0, 500)) {
      const native = mine.natives.get(device.id) as Record<string, unknown>;
      for (const [field, value] of Object.entries(native))
        expect([device.id, field, value]).toEqual([
          device.id,
          field,
          (device as unknown as Record<string, unknown>)[field],
        ]);
    }
    // The worker evaluates findings after the sync; with no policy, the always-on rules apply.
    const jailbroken = [...emulator.tenant.devices()]
      .filter((d) => d.jailBroken === 'True')
      .map((d) => d.id)
      .sort();
    const noncompliant = [...emulator.tenant.devices()].filter((d) => d.complianceState === 'noncompliant').length;
    expect(jailbroken.length).toBeGreaterThan(0);
    const flagged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: {
        body: { items: Array<{ device: { name: string }; deviceId: string }>; nextCursor: string | null };
      } = await api.request('GET', `/v1/findings?rule=jailbroken&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      flagged.push(...page.body.items.map((f) => f.deviceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    const flaggedExternal = await api.db.knex('devices').whereIn('id', flagged).pluck('external_id');
    expect(flaggedExternal.sort()).toEqual(jailbroken);
    expect(
      await api.db
        .knex('findings')
        .where({ rule: 'mdm-noncompliant' })
        .whereNull('resolved_at')
        .count({ n: '*' })
        .first(),
    ).toEqual({ n: noncompliant });
    const { requests, listingRequests, appRequests } = connection.lastSync!.counts;
    expect(listingRequests).toBeLessThanOrEqual(Math.ceil(FLEET / 1000) + 1);
    expect(requests).toBeLessThanOrEqual(Math.ceil(FLEET / 1000) + appRequests! + 5);
  }, 60_000);

  it('stores the same result with 30% 429s and 5% 5xx injected', async () => {
    const faultyId = await connect('faulty');
    emulator.setFaults({ throttleRate: 0.3, throttleRetryAfter: false, serverErrorRate: 0.05 });
    try {
      const result = await syncNow(faultyId, { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 12 });
      expect(result).toMatchObject({ outcome: 'succeeded', counts: { devices: FLEET } });
      if (result.outcome === 'succeeded') expect(result.counts.throttled).toBeGreaterThan(0);
    } finally {
      emulator.setFaults({ throttleRate: 0, serverErrorRate: 0 });
    }
    const clean = await stored(cleanId);
    const faulty = await stored(faultyId);
    expect(faulty.ids).toEqual(clean.ids);
    expect(faulty.holders).toEqual(clean.holders);
    expect([...faulty.natives.entries()].slice(0, 200)).toEqual(
      [...faulty.natives.keys()].slice(0, 200).map((id) => [id, clean.natives.get(id)]),
    );
  }, 120_000);

  it('fails a listing that ends early without a nextLink, and marks nothing gone', async () => {
    const removed = emulator.tenant.devices().next().value!.id;
    emulator.tenant.removeDevice(removed);
    emulator.setFaults({ truncateListingAfter: 4000 });
    try {
      const connection = await syncThroughApi(cleanId);
      expect(connection.lastSync).toMatchObject({ outcome: 'failed', errorKind: 'incomplete' });
      expect(connection.credentialStatus).toBe('ok');
      expect(
        await api.db
          .knex('devices')
          .where({ connection_id: cleanId })
          .whereNotNull('gone_at')
          .count({ n: '*' })
          .first(),
      ).toEqual({ n: 0 });
    } finally {
      emulator.setFaults({ truncateListingAfter: null });
    }
    const complete = await syncThroughApi(cleanId);
    expect(complete.lastSync).toMatchObject({ outcome: 'succeeded', counts: { devices: FLEET - 1, gone: 1 } });
    const gone = await api.db.knex('devices').where({ connection_id: cleanId, external_id: removed }).first();
    expect(gone.gone_at).not.toBeNull();
    // lastSeenAt: the gone device keeps the complete sync before, the others the complete sync that just ended.
    const goneBody = await api.request<{ lastSeenAt: string; goneAt: string }>('GET', `/v1/devices/${gone.id}`);
    expect(Date.parse(goneBody.body.lastSeenAt)).toBeLessThan(Date.parse(goneBody.body.goneAt));
    const [present] = (
      await api.request<{ items: Array<{ lastSeenAt: string | null }> }>(
        'GET',
        `/v1/devices?connection=${cleanId}&limit=1`,
      )
    ).body.items;
    expect(present!.lastSeenAt).toBe(complete.lastCompleteSync!.finishedAt);
  }, 60_000);

  it('marks a credential broken on 401, and never on throttling', async () => {
    const wrong = await connect(`wrong-${randomUUID().slice(0, 4)}`, 'not-the-secret');
    const broken = await syncThroughApi(wrong);
    expect(broken.lastSync).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(broken.credentialStatus).toBe('broken');

    const throttled = await connect('always-throttled');
    emulator.setFaults({ throttleRate: 1, throttleRetryAfter: false });
    try {
      const result = await syncNow(throttled, { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 });
      expect(result).toMatchObject({ outcome: 'failed', errorKind: 'throttled' });
    } finally {
      emulator.setFaults({ throttleRate: 0 });
    }
    expect((await api.request<ConnectionBody>('GET', `/v1/connections/${throttled}`)).body.credentialStatus).toBe(
      'unverified',
    );
  }, 60_000);
});
