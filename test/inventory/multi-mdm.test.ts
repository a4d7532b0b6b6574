// Inventory sync of Jamf Pro and Android Management connections end to end: connections created through the
// API, syncs requested through the API and run by the worker's connection-sync job, the real connectors over
// HTTPS against the emulators, into PostgreSQL. The stored devices and app holders are exactly the emulators'
// own truth; GET /v1/devices?connection= answers them; a listing that ends early marks nothing gone; a wrong
// secret breaks the credential. Directory sync skips both (neither MDM has a directory): nothing failed,
// no credential touched.
import { syncConnection } from '../../src/inventory/sync';
import { WATCHED_APPS } from '../../src/inventory/watched-apps';
import {
  type AndroidEmulator,
  androidEmulatorConnection,
  createServiceAccountKey,
  startAndroidEmulator,
} from '../../src/sim/android';
import { type JamfEmulator, jamfEmulatorConnection, startJamfEmulator } from '../../src/sim/jamf';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

const JAMF_MOBILE = 300;
const JAMF_COMPUTERS = 30;
const ANDROID_DEVICES = 350;
const WATCHED = new Map(WATCHED_APPS.map((identifier) => [identifier.toLowerCase(), identifier]));

interface SyncRunBody {
  id: number;
  outcome: string;
  counts: Record<string, number>;
  errorKind: string | null;
  error: string | null;
}
interface ConnectionBody {
  id: string;
  kind: string;
  credentialStatus: string;
  credentialError: string | null;
  lastSync: SyncRunBody | null;
  lastCompleteSync: SyncRunBody | null;
  directory: { lastCompleteSyncAt: string | null; lastError: string | null };
}
interface DeviceBody {
  id: string;
  connectionId: string;
  externalId: string;
  name: string | null;
  platform: string;
  serialNumber: string | null;
  ownership: string;
  goneAt: string | null;
}

describe('inventory sync of Jamf Pro and Android Management connections', () => {
  let jamf: JamfEmulator;
  let android: AndroidEmulator;
  let api: TestApi;
  let jamfId: string;
  let androidId: string;

  const connection = async (id: string) => (await api.request<ConnectionBody>('GET', `/v1/connections/${id}`)).body;

  async function until(what: string, done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const finishedJobRuns = (job: string) =>
    api.db.knex('job_runs').where({ job_name: job }).whereNot({ outcome: 'running' }).orderBy('id');

  /** Requests a sync through the API and waits until the worker's connection-sync job has run it to the end. */
  async function syncThroughApi(connectionId: string): Promise<ConnectionBody> {
    const previousRun = (await connection(connectionId)).lastSync?.id ?? 0;
    const jobsBefore = (await finishedJobRuns('connection-sync')).length;
    expect((await api.request('POST', `/v1/connections/${connectionId}/sync`)).status).toBe(202);
    let current: ConnectionBody | undefined;
    await until('the sync job', async () => {
      current = await connection(connectionId);
      const run = current.lastSync;
      return (
        !!run &&
        run.id > previousRun &&
        run.outcome !== 'running' &&
        (await finishedJobRuns('connection-sync')).length > jobsBefore
      );
    });
    return current!;
  }

  async function stored(connectionId: string) {
    const devices = await api.db
      .knex('devices')
      .where({ connection_id: connectionId, gone_at: null })
      .orderBy('external_id')
      .select('external_id', 'name', 'platform', 'serial_number', 'ownership', 'user_principal_name', 'native');
    const apps = await api.db
      .knex('device_apps as a')
      .join('devices as d', 'd.id', 'a.device_id')
      .where({ 'd.connection_id': connectionId, 'a.removed_at': null })
      .select('d.external_id', 'a.identifier', 'a.scope');
    return {
      devices,
      ids: devices.map((d: { external_id: string }) => d.external_id).sort(),
      holders: apps.map((a) => `${a.external_id} ${a.identifier} ${a.scope}`).sort(),
    };
  }

  /** The Jamf server's truth: managed records only, apps as Jamf reports them (managed apps on the work side). */
  function jamfTruth() {
    const mobiles = jamf.fleet.mobileDevices.filter((d) => d.managed);
    const computers = jamf.fleet.computers.filter((c) => c.managed);
    const ids = [...mobiles.map((d) => `mobile:${d.id}`), ...computers.map((c) => `computer:${c.id}`)].sort();
    const holders = mobiles
      .flatMap((d) =>
        d.apps
          .filter((a) => WATCHED.has(a.identifier.toLowerCase()))
          .map(
            (a) =>
              `mobile:${d.id} ${WATCHED.get(a.identifier.toLowerCase())} ${a.managementStatus === 'Managed' ? 'work-profile' : 'device'}`,
          ),
      )
      .sort();
    return { mobiles, computers, ids, holders };
  }

  /** The enterprise's truth: devices not deleted, apps the API can see (work profile, or the whole device). */
  function androidTruth() {
    const ids = android.enterprise.managedDeviceIds().sort();
    const holders = WATCHED_APPS.flatMap((packageName) =>
      android.enterprise.devicesShowingApp(packageName).map((id) => {
        const mode = android.enterprise.device(id)!.managementMode;
        return `${id} ${packageName} ${mode === 'PROFILE_OWNER' ? 'work-profile' : mode === 'DEVICE_OWNER' ? 'device' : 'unknown'}`;
      }),
    ).sort();
    return { ids, holders };
  }

  async function devicesThroughApi(connectionId: string): Promise<DeviceBody[]> {
    const devices: DeviceBody[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: DeviceBody[]; nextCursor: string | null } } = await api.request(
        'GET',
        `/v1/devices?connection=${connectionId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      devices.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return devices;
  }

  beforeAll(async () => {
    [jamf, android] = await Promise.all([
      startJamfEmulator({
        pkiDir: TEST_PKI_DIR,
        referenceTime: REFERENCE_TIME,
        mobileDevices: JAMF_MOBILE,
        computers: JAMF_COMPUTERS,
        seed: 11,
      }),
      startAndroidEmulator({ pkiDir: TEST_PKI_DIR, referenceTime: REFERENCE_TIME, devices: ANDROID_DEVICES, seed: 12 }),
    ]);
    // One CA signs every emulator.
    expect(android.caPem).toBe(jamf.caPem);
    api = await startTestApi({ worker: true, config: { extraCaPem: jamf.caPem } });
    const created = await Promise.all([
      api.request<ConnectionBody>('POST', '/v1/connections', {
        body: { name: 'acme-jamf', ...jamfEmulatorConnection(jamf) },
      }),
      api.request<ConnectionBody>('POST', '/v1/connections', {
        body: { name: 'acme-android', ...androidEmulatorConnection(android) },
      }),
    ]);
    expect(created.map((c) => [c.status, c.body.kind])).toEqual([
      [201, 'jamf'],
      [201, 'android'],
    ]);
    [jamfId, androidId] = created.map((c) => c.body.id) as [string, string];
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await jamf?.stop();
    await android?.stop();
  });

  it("stores exactly the Jamf server's managed devices, their fields and the watched apps they hold", async () => {
    const synced = await syncThroughApi(jamfId);
    const truth = jamfTruth();
    expect(truth.ids.length).toBeLessThan(JAMF_MOBILE + JAMF_COMPUTERS); // some records are unmanaged
    expect(synced.lastSync).toMatchObject({
      outcome: 'succeeded',
      counts: { devices: truth.ids.length, appeared: truth.ids.length, gone: 0 },
    });
    expect(synced.credentialStatus).toBe('ok');
    expect(synced.lastCompleteSync).toEqual(synced.lastSync);

    const mine = await stored(jamfId);
    expect(mine.ids).toEqual(truth.ids);
    expect(mine.holders).toEqual(truth.holders);
    expect(truth.holders.some((h) => h.endsWith(' device'))).toBe(true);
    expect(truth.holders.some((h) => h.includes('com.facebook.Messenger'))).toBe(true);
    const byId = new Map(mine.devices.map((d: { external_id: string }) => [d.external_id, d]));
    for (const device of truth.mobiles) {
      expect(byId.get(`mobile:${device.id}`)).toMatchObject({
        name: device.name,
        platform: 'ios',
        serial_number: device.serialNumber,
        user_principal_name: device.user.username,
        ownership: device.ownershipType === 'Institutional' ? 'company' : expect.any(String),
      });
    }
    for (const computer of truth.computers) {
      expect(byId.get(`computer:${computer.id}`)).toMatchObject({
        name: computer.name,
        platform: 'macos',
        serial_number: computer.serialNumber,
      });
    }
    expect(synced.lastSync!.counts.appHits).toBe(truth.holders.length);
  }, 60_000);

  it("stores exactly the Android enterprise's devices, as the API answered them, and the apps it shows", async () => {
    const synced = await syncThroughApi(androidId);
    const truth = androidTruth();
    expect(synced.lastSync).toMatchObject({
      outcome: 'succeeded',
      counts: { devices: truth.ids.length, appeared: truth.ids.length, gone: 0 },
    });
    expect(synced.credentialStatus).toBe('ok');
    // More than one page of 100 was listed.
    expect(synced.lastSync!.counts.listingRequests).toBeGreaterThan(3);

    const mine = await stored(androidId);
    expect(mine.ids).toEqual(truth.ids);
    expect(mine.holders).toEqual(truth.holders);
    expect(truth.holders.some((h) => h.endsWith('work-profile'))).toBe(true);
    expect(truth.holders.some((h) => h.endsWith(' device'))).toBe(true);
    for (const device of mine.devices.slice(0, 100)) {
      const sim = android.enterprise.device(device.external_id)!;
      expect(device).toMatchObject({
        platform: 'android',
        serial_number: sim.serialNumber,
        ownership: sim.ownership === 'COMPANY_OWNED' ? 'company' : 'personal',
      });
      expect(device.native).toEqual(JSON.parse(JSON.stringify(android.enterprise.render(sim))));
    }
  }, 60_000);

  it("answers each connection's devices through GET /v1/devices?connection=, and nothing of the other", async () => {
    const jamfDevices = await devicesThroughApi(jamfId);
    expect(jamfDevices.map((d) => d.externalId).sort()).toEqual(jamfTruth().ids);
    expect(new Set(jamfDevices.map((d) => d.connectionId))).toEqual(new Set([jamfId]));
    expect(new Set(jamfDevices.map((d) => d.platform))).toEqual(new Set(['ios', 'macos']));
    const androidDevices = await devicesThroughApi(androidId);
    expect(androidDevices.map((d) => d.externalId).sort()).toEqual(androidTruth().ids);
    expect(new Set(androidDevices.map((d) => d.platform))).toEqual(new Set(['android']));

    const [holder] = jamfTruth().holders;
    const [externalId, identifier] = holder!.split(' ');
    const device = jamfDevices.find((d) => d.externalId === externalId)!;
    const detail = await api.request<{ apps: Array<{ identifier: string }> }>('GET', `/v1/devices/${device.id}`);
    expect(detail.body.apps.map((a) => a.identifier)).toContain(identifier);
  }, 30_000);

  it('fails a Jamf listing that ends early and marks nothing gone; the next complete sync marks the missing one', async () => {
    const removed = jamfTruth().mobiles[0]!;
    removed.managed = false;
    jamf.setFaults({ truncateListingAfter: 100 });
    try {
      const failed = await syncThroughApi(jamfId);
      expect(failed.lastSync).toMatchObject({ outcome: 'failed', errorKind: 'incomplete' });
      expect(failed.credentialStatus).toBe('ok');
      expect(
        await api.db.knex('devices').where({ connection_id: jamfId }).whereNotNull('gone_at').count({ n: '*' }).first(),
      ).toEqual({ n: 0 });
    } finally {
      jamf.setFaults({ truncateListingAfter: null });
    }
    const complete = await syncThroughApi(jamfId);
    expect(complete.lastSync).toMatchObject({ outcome: 'succeeded', counts: { gone: 1 } });
    const gone = await api.db.knex('devices').where({ connection_id: jamfId, external_id: `mobile:${removed.id}` });
    expect(gone[0].gone_at).not.toBeNull();
    expect((await stored(jamfId)).ids).toEqual(jamfTruth().ids);
  }, 60_000);

  it('marks a credential broken on a wrong Jamf secret or Android key, and never on throttling', async () => {
    const wrong = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: {
        name: 'acme-jamf-wrong',
        ...jamfEmulatorConnection(jamf, { clientId: jamf.clientId, clientSecret: 'not-the-secret' }),
      },
    });
    const broken = await syncThroughApi(wrong.body.id);
    expect(broken.lastSync).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(broken.credentialStatus).toBe('broken');
    expect(api.logs.join('\n')).not.toContain(jamf.clientSecret);
    expect(api.logs.join('\n')).not.toContain('not-the-secret');

    // An Android key the emulator does not know (the same account, another key): Google answers invalid_grant.
    const key = android.serviceAccountKey!;
    const otherKey = { ...createServiceAccountKey(key.project_id, android.tokenUri), client_email: key.client_email };
    const wrongKey = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: { name: 'acme-android-wrong', ...androidEmulatorConnection(android, otherKey) },
    });
    const brokenAndroid = await syncThroughApi(wrongKey.body.id);
    expect(brokenAndroid.lastSync).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(brokenAndroid.credentialStatus).toBe('broken');
    expect(api.logs.join('\n')).not.toContain(otherKey.private_key.split('\n')[4]);

    const throttled = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: { name: 'acme-android-throttled', ...androidEmulatorConnection(android) },
    });
    android.setFaults({ throttleRate: 1, throttleRetryAfter: false });
    try {
      const result = await syncConnection(
        {
          knex: api.db.knex,
          log: api.log,
          secretBox: api.secretBox,
          extraCaPem: android.caPem,
          connectorOptions: { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } },
        },
        { connectionId: throttled.body.id, trigger: 'manual', worker: 'test' },
      );
      expect(result).toMatchObject({ outcome: 'failed', errorKind: 'throttled' });
    } finally {
      android.setFaults({ throttleRate: 0 });
    }
    expect((await connection(throttled.body.id)).credentialStatus).toBe('unverified');
    expect(await api.db.knex('devices').where({ connection_id: throttled.body.id }).count({ n: '*' }).first()).toEqual({
      n: 0,
    });
  }, 60_000);

  it('skips both in a directory sync: nothing listed, nothing failed, no credential touched', async () => {
    const before = await Promise.all([connection(jamfId), connection(androidId)]);
    const auditBefore = await api.db.knex('audit_events').where({ action: 'directory.sync' }).count({ n: '*' });
    for (const id of [jamfId, androidId]) {
      const runsBefore = (await finishedJobRuns('directory-sync')).length;
      const queued = await api.request('POST', `/v1/connections/${id}/sync`, { body: { scope: 'directory' } });
      expect(queued.status).toBe(202);
      await until('the directory sync', async () => (await finishedJobRuns('directory-sync')).length > runsBefore);
      const run = (await finishedJobRuns('directory-sync')).at(-1);
      expect(run).toMatchObject({ outcome: 'succeeded', counts: { connections: 1, skipped: 1, failed: 0, users: 0 } });
    }
    // The hourly run, over every connection, skips them the same way (the broken one too: it is never contacted).
    const runsBefore = (await finishedJobRuns('directory-sync')).length;
    await api.scheduler.runNow('directory-sync', {});
    await until('the directory sync', async () => (await finishedJobRuns('directory-sync')).length > runsBefore);
    expect((await finishedJobRuns('directory-sync')).at(-1)).toMatchObject({
      outcome: 'succeeded',
      counts: { connections: 5, skipped: 5, failed: 0 },
    });

    const after = await Promise.all([connection(jamfId), connection(androidId)]);
    for (const [i, connectionAfter] of after.entries()) {
      expect(connectionAfter.directory).toEqual({ lastCompleteSyncAt: null, lastError: null });
      expect(connectionAfter.credentialStatus).toBe(before[i]!.credentialStatus);
      expect(connectionAfter.credentialStatus).toBe('ok');
    }
    expect(await api.db.knex('directory_users').count({ n: '*' }).first()).toEqual({ n: 0 });
    expect(await api.db.knex('audit_events').where({ action: 'directory.sync' }).count({ n: '*' })).toEqual(
      auditBefore,
    );
    // No device of a connection without a directory is taken for a departed owner's.
    expect(await api.db.knex('findings').where({ rule: 'owner-departed' }).count({ n: '*' }).first()).toEqual({
      n: 0,
    });
  }, 60_000);
});
