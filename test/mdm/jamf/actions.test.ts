// Remote actions and restrictions profiles through the Jamf connector against the emulator over HTTPS: each
// action reaches Jamf once and its status follows the device's check-in; a command whose answer is lost is
// never sent again; restrictions profiles make the round trip create -> read -> update -> delete.
import { JamfClient } from '../../../src/mdm/jamf/client';
import { markerOf } from '../../../src/mdm/native';
import { Resilience } from '../../../src/mdm/resilience';
import type { JamfEmulator } from '../../../src/sim/jamf';
import { JamfApi } from '../../sim/jamf/helpers';
import { FAST_RETRY, jamfConnector, startJamf } from './helpers';

let emulator: JamfEmulator;

beforeAll(async () => {
  emulator = await startJamf({ mobileDevices: 60, computers: 6 });
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0 });
  emulator.resetStats();
});

const USER_ENROLLMENT = ['UserEnrollment', 'AccountDrivenUserEnrollment'];
/** The index-th managed mobile device that is not a User Enrollment (those cannot be erased). */
const managed = (index: number) =>
  emulator.fleet.mobileDevices.filter((d) => d.managed && !USER_ENROLLMENT.includes(d.ownershipType))[index]!;

it.each([
  ['wipe', 'ERASE_DEVICE'],
  ['lock', 'DEVICE_LOCK'],
  ['sync', 'DEVICE_INFORMATION'],
] as const)('sends %s as %s once, pending until the device checks in, then done', async (action, command) => {
  const device = managed(['wipe', 'lock', 'sync'].indexOf(action));
  const connector = jamfConnector(emulator);
  const id = `mobile:${device.id}`;
  expect(await connector.actionStatus(id, action)).toEqual({ state: 'none', startedAt: null });
  emulator.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0 });
  await connector.sendAction(id, action);
  emulator.setFaults({ throttleRate: 0 });
  expect(emulator.stats().commands[`${device.managementId}:${command}`]).toBe(1);
  expect((await connector.actionStatus(id, action)).state).toBe('pending');
  emulator.completePendingCommands();
  const status = await connector.actionStatus(id, action);
  expect(status.state).toBe('done');
  expect(status.startedAt).toBeInstanceOf(Date);
});

it('refuses to wipe a User Enrollment device, sending nothing, and says to retire it instead', async () => {
  const device = emulator.fleet.mobileDevices.find((d) => d.managed && USER_ENROLLMENT.includes(d.ownershipType))!;
  expect(device).toBeDefined();
  const connector = jamfConnector(emulator);
  await expect(connector.sendAction(`mobile:${device.id}`, 'wipe')).rejects.toMatchObject({
    kind: 'invalid',
    message: expect.stringMatching(/User Enrollment .*send a retire instead/),
  });
  expect(emulator.stats().commands[`${device.managementId}:ERASE_DEVICE`]).toBeUndefined();
});

it('retires a mobile device by unmanaging it, once; the record is then gone from management', async () => {
  const device = managed(5);
  const connector = jamfConnector(emulator);
  await connector.sendAction(`mobile:${device.id}`, 'retire');
  expect(emulator.stats().unmanaged[`mobile:${device.id}`]).toBe(1);
  expect(await connector.actionStatus(`mobile:${device.id}`, 'retire')).toEqual({ state: 'gone', startedAt: null });
});

it('retires a Mac by removing its MDM profile, and refuses to lock a Mac without a PIN', async () => {
  const mac = emulator.fleet.computers.find((c) => c.managed)!;
  const connector = jamfConnector(emulator);
  await connector.sendAction(`computer:${mac.id}`, 'retire');
  expect(emulator.stats().unmanaged[`computer:${mac.id}`]).toBe(1);
  expect((await connector.actionStatus(`computer:${mac.id}`, 'retire')).state).toBe('gone');
  await expect(connector.sendAction(`computer:${mac.id}`, 'lock')).rejects.toMatchObject({ kind: 'invalid' });
});

it('never resends a command after a 5xx or a reset: the outcome is unknown', async () => {
  const device = managed(7);
  const resilience = new Resilience({ buckets: [], policy: FAST_RETRY });
  const client = new JamfClient({
    baseUrl: emulator.url,
    tokenPath: '/api/oauth/token',
    credentials: { type: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
    resilience,
    caPem: emulator.caPem,
  });
  await client.accessToken(); // the token endpoint takes no faults; the API calls below all fail
  const body = { clientData: [{ managementId: device.managementId }], commandData: { commandType: 'ERASE_DEVICE' } };
  for (const faults of [
    { serverErrorRate: 1, resetRate: 0 },
    { serverErrorRate: 0, resetRate: 1 },
  ]) {
    emulator.resetStats();
    emulator.setFaults(faults);
    const error = await client.send('POST', '/api/v2/mdm/commands', { json: body }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true, retryable: false });
    const posts = emulator.stats().byRoute['POST /api/v2/mdm/commands'] ?? {};
    expect(Object.values(posts).reduce((a, b) => a + b, 0)).toBe(1);
    // A read under the same faults is retried until the attempts run out.
    emulator.resetStats();
    await expect(client.send('GET', '/api/v2/mobile-devices')).rejects.toMatchObject({ kind: 'transient' });
    expect(emulator.stats().requests).toBe(FAST_RETRY.maxAttempts);
  }
});

it('reads, creates, updates and deletes Warden restrictions profiles, leaving others alone', async () => {
  const connector = jamfConnector(emulator);
  const scope = {
    allMobileDevices: false,
    mobileDeviceIds: [],
    mobileDeviceGroups: [{ id: '3', name: 'All employees' }],
  };
  const spec = {
    policy: 'keep-work-chats-managed',
    key: 'ios-restrictions',
    name: 'Warden: keep work chats managed (iOS)',
    description: 'Managed by Warden policy keep-work-chats-managed.',
    restrictions: {
      allowCloudBackup: false,
      allowManagedAppsCloudSync: false,
      allowOpenFromManagedToUnmanaged: false,
      allowUnmanagedToReadManagedContacts: false,
      requireManagedPasteboard: true,
      blockedAppBundleIDs: ['net.whatsapp.WhatsApp', 'ph.telegra.Telegraph'],
    },
    scope,
  };
  const api = new JamfApi(emulator);
  const foreign =
    '<configuration_profile><general><name>Wi-Fi</name><description>by hand</description><payloads></payloads></general></configuration_profile>';
  expect((await api.api('POST', '/JSSResource/mobiledeviceconfigurationprofiles/id/0', { xml: foreign })).status).toBe(
    201,
  );
  await api.close();
  const id = await connector.applyRestrictionProfile({ op: 'create', ...spec });
  const [read] = await connector.readRestrictionProfiles();
  expect(read).toEqual({
    id,
    name: spec.name,
    description: `${spec.description} ${markerOf(spec.policy, spec.key)}`,
    policy: spec.policy,
    key: spec.key,
    restrictions: spec.restrictions,
    scope,
  });
  const restrictions = {
    ...spec.restrictions,
    allowCloudDocumentSync: false,
    blockedAppBundleIDs: ['com.facebook.Messenger'],
  };
  await connector.applyRestrictionProfile({ op: 'update', id, ...spec, restrictions });
  expect((await connector.readRestrictionProfiles())[0]!.restrictions).toEqual(restrictions);
  await connector.applyRestrictionProfile({ op: 'delete', id });
  expect(await connector.readRestrictionProfiles()).toEqual([]);
  expect(emulator.profiles.all().map((p) => p.name)).toEqual(['Wi-Fi']);
  await expect(connector.applyRestrictionProfile({ op: 'delete', id })).rejects.toMatchObject({ kind: 'not-found' });
});
