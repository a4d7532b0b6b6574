// The Android Management API emulator over real HTTPS: the JWT bearer grant (and a wrong key refused like
// Google refuses it), paging, device shapes, deletes by management mode, commands and their operations,
// policies, Google-shaped errors, faults and the admin API.
import {
  type AndroidEmulator,
  createServiceAccountKey,
  POLICY_IDS,
  type ServiceAccountKey,
} from '../../../src/sim/android';
import { RawClient, startEmulator } from './helpers';

let emulator: AndroidEmulator;
let client: RawClient;

beforeAll(async () => {
  emulator = await startEmulator({ devices: 250, operationLatencyMs: 60_000 });
  client = new RawClient(emulator);
});

afterAll(async () => {
  await client.close();
  await emulator.stop();
});

beforeEach(() => emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0, truncateListingAfter: null }));

const devicesPath = () => `/v1/${emulator.enterpriseName}/devices`;
type DevicePage = { devices?: Array<Record<string, unknown>>; nextPageToken?: string };

describe('the token endpoint', () => {
  it('grants a bearer token for an assertion signed with the seeded key', async () => {
    const answer = await client.tokenFor(emulator.serviceAccountKey as ServiceAccountKey);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
  });

  it('refuses an assertion signed with another key with 400 invalid_grant', async () => {
    const stranger = {
      ...createServiceAccountKey('warden-sim'),
      client_email: emulator.serviceAccountKey?.client_email as string,
    };
    const answer = await client.tokenFor(stranger);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  });

  it('refuses expired assertions and other grant types', async () => {
    const key = emulator.serviceAccountKey as ServiceAccountKey;
    const expired = await client.tokenFor(key, { iat: 1_000, exp: 2_000 });
    expect(expired.status).toBe(400);
    const wrongGrant = await client.send('POST', '/token', { form: { grant_type: 'client_credentials' } });
    expect(wrongGrant.body).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('requires a bearer token on the API, answering like Google', async () => {
    const answer = await client.send('GET', devicesPath());
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });
});

describe('the fleet', () => {
  it('is reproducible from its seed, and has every kind of device the tests need', async () => {
    const again = await startEmulator({ devices: 250 });
    try {
      expect(again.enterprise.listed()).toEqual(emulator.enterprise.listed());
    } finally {
      await again.stop();
    }
    const devices = emulator.enterprise.listed();
    const workProfileMessengers = devices.filter((d) =>
      d.apps.some((a) => a.location === 'work-profile' && /whatsapp|orca|telegram/.test(a.packageName)),
    );
    expect(workProfileMessengers.length).toBeGreaterThan(0);
    expect(devices.some((d) => !d.encrypted)).toBe(true);
    expect(devices.some((d) => d.lastStatusReportMs < Date.parse('2025-02-01T00:00:00Z'))).toBe(true);
    expect(devices.some((d) => d.weakPassword)).toBe(true);
  });
});

describe('devices', () => {
  it('pages 10 by default, at most 100, and every page token leads on until the end', async () => {
    const first = await client.api('GET', devicesPath());
    expect((first.body as DevicePage).devices).toHaveLength(10);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.api('GET', `${devicesPath()}?pageSize=500${token ? `&pageToken=${token}` : ''}`);
      const body = page.body as DevicePage;
      expect(body.devices?.length).toBeLessThanOrEqual(100);
      names.push(...(body.devices ?? []).map((d) => d.name as string));
      token = body.nextPageToken;
    } while (token);
    // 250 managed devices, plus the few DELETED ones the listing still shows.
    expect(names).toHaveLength(emulator.enterprise.listed().length);
    expect(new Set(names).size).toBe(names.length);
    expect(emulator.enterprise.managedDeviceIds()).toHaveLength(250);
  });

  it('shapes devices like the API: modes, ownership, reports only where the policy asks', async () => {
    const page = (await client.api('GET', `${devicesPath()}?pageSize=100`)).body as DevicePage;
    const devices = page.devices ?? [];
    const workProfile = devices.find(
      (d) => d.managementMode === 'PROFILE_OWNER' && String(d.policyName).endsWith(POLICY_IDS.workProfile),
    );
    expect(workProfile).toMatchObject({
      ownership: 'PERSONALLY_OWNED',
      state: expect.any(String),
      policyCompliant: expect.any(Boolean),
    });
    expect(workProfile?.applicationReports).toEqual(expect.any(Array));
    expect(workProfile?.deviceSettings).toMatchObject({ isEncrypted: expect.any(Boolean) });
    const minimal = devices.find((d) => String(d.policyName).endsWith(POLICY_IDS.minimal));
    expect(minimal?.applicationReports).toBeUndefined();
    expect(minimal?.deviceSettings).toBeUndefined();
    expect(devices.some((d) => d.managementMode === 'DEVICE_OWNER' && d.ownership === 'COMPANY_OWNED')).toBe(true);
  });

  it('delete removes only the work profile of a personal phone and factory-resets a company phone', async () => {
    const [personal] = emulator.enterprise
      .listed()
      .filter((d) => d.managementMode === 'PROFILE_OWNER' && d.state === 'ACTIVE');
    const [company] = emulator.enterprise
      .listed()
      .filter((d) => d.managementMode === 'DEVICE_OWNER' && d.state === 'ACTIVE');
    const path = (id: string) => `${devicesPath()}/${id}`;
    expect((await client.api('DELETE', `${path(personal!.id)}?wipeReasonMessage=bye`)).status).toBe(200);
    expect((await client.api('DELETE', `${path(company!.id)}?wipeDataFlags=WIPE_EXTERNAL_STORAGE`)).status).toBe(200);
    expect(emulator.enterprise.deleteEffect(personal!.id)).toBe('work-profile-removed');
    expect(emulator.enterprise.deleteEffect(company!.id)).toBe('factory-reset');
    const gone = await client.api('GET', path(personal!.id));
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: { status: 'NOT_FOUND' } });
    expect(emulator.stats().deviceCalls[company!.id]).toEqual({ delete: 1 });
  });

  it('issues a command as an Operation that is done after the completion step', async () => {
    const [device] = emulator.enterprise.listed().filter((d) => d.state === 'ACTIVE');
    const sent = await client.api('POST', `${devicesPath()}/${device!.id}:issueCommand`, { type: 'LOCK' });
    expect(sent.status).toBe(200);
    const operation = sent.body as { name: string; done: boolean; metadata: Record<string, unknown> };
    expect(operation).toMatchObject({ done: false, metadata: { type: 'LOCK' } });
    expect(operation.name).toMatch(new RegExp(`^${emulator.enterpriseName}/devices/${device!.id}/operations/`));
    emulator.completePendingOperations();
    expect((await client.api('GET', `/v1/${operation.name}`)).body).toMatchObject({ done: true });
    const bad = await client.api('POST', `${devicesPath()}/${device!.id}:issueCommand`, { type: 'EXPLODE' });
    expect(bad.body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});

describe('policies', () => {
  it('PATCH creates, then updates with a new version; list pages them', async () => {
    const path = `/v1/${emulator.enterpriseName}/policies/warden-test`;
    const created = await client.api('PATCH', path, {
      applications: [{ packageName: 'com.whatsapp', installType: 'BLOCKED' }],
      crossProfilePolicies: { showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED' },
    });
    expect(created.body).toMatchObject({ name: `${emulator.enterpriseName}/policies/warden-test`, version: '1' });
    const updated = await client.api('PATCH', path, { statusReportingSettings: { applicationReportsEnabled: true } });
    expect(updated.body).toMatchObject({ version: '2' });
    expect((updated.body as Record<string, unknown>).applications).toBeUndefined();
    const list = (await client.api('GET', `/v1/${emulator.enterpriseName}/policies`)).body as { policies: unknown[] };
    expect(list.policies).toHaveLength(4);
    const invalid = await client.api('PATCH', path, { applications: [{ packageName: 'x', installType: 'NOPE' }] });
    expect(invalid.status).toBe(400);
  });
});

describe('faults', () => {
  it('throttles with RESOURCE_EXHAUSTED, with Retry-After only when asked', async () => {
    emulator.setFaults({ throttleRate: 1, throttleRetryAfter: false });
    const bare = await client.api('GET', devicesPath());
    expect(bare.status).toBe(429);
    expect(bare.body).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect(bare.headers.get('retry-after')).toBeNull();
    emulator.setFaults({ throttleRetryAfter: true, retryAfterSeconds: 3 });
    expect((await client.api('GET', devicesPath())).headers.get('retry-after')).toBe('3');
  });

  it('ends the listing early by dropping the nextPageToken, with nothing in the answer to say so', async () => {
    emulator.setFaults({ truncateListingAfter: 150 });
    const first = (await client.api('GET', `${devicesPath()}?pageSize=100`)).body as DevicePage;
    const second = (await client.api('GET', `${devicesPath()}?pageSize=100&pageToken=${first.nextPageToken}`))
      .body as DevicePage;
    expect(second.devices).toHaveLength(50);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('is driven through the admin API too, and counts what it did', async () => {
    const put = await client.send('PATCH', '/_sim/faults', { json: { serverErrorRate: 1 } });
    expect(put.body).toMatchObject({ serverErrorRate: 1 });
    const failed = await client.api('GET', devicesPath());
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const stats = (await client.send('GET', '/_sim/stats')).body as { serverErrors: number };
    expect(stats.serverErrors).toBeGreaterThan(0);
    const truth = (await client.send('GET', '/_sim/apps/com.whatsapp/devices')).body as { devices: string[] };
    expect(truth.devices.length).toBeGreaterThan(0);
  });
});
