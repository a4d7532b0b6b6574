// The Jamf connector's listings against the emulator over HTTPS: complete under throttling and 5xx, refused
// when a listing ends early, mapped as the emulator's truth says, apps found per app, never more than five
// requests in flight, and a wrong secret sorted as an auth failure.
import { MdmError } from '../../../src/mdm/errors';
import type { JamfEmulator } from '../../../src/sim/jamf';
import { collect, collectFailure, jamfConnector, managedIds, startJamf } from './helpers';

const MESSENGERS = ['net.whatsapp.WhatsApp', 'com.facebook.Messenger', 'ph.telegra.Telegraph'];

let emulator: JamfEmulator;

beforeAll(async () => {
  emulator = await startJamf({ mobileDevices: 2500, computers: 120 });
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0, latencyMs: 0, truncateListingAfter: null });
  emulator.resetStats();
});

it('lists every managed device exactly once under 30% 429s and 5% 5xx', async () => {
  emulator.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0, serverErrorRate: 0.05 });
  const connector = jamfConnector(emulator);
  const { items } = await collect(connector.listDevices());
  expect(items.map((d) => d.externalId).sort()).toEqual(managedIds(emulator).sort());
  expect(connector.stats().retried).toBeGreaterThan(0);
  expect(emulator.stats().maxInFlight).toBeLessThanOrEqual(5);
});

it('maps Jamf records into Warden devices', async () => {
  const { items } = await collect(jamfConnector(emulator).listDevices());
  const byId = new Map(items.map((d) => [d.externalId, d]));
  for (const device of emulator.fleet.mobileDevices.filter((d) => d.managed).slice(0, 300)) {
    const normalized = byId.get(`mobile:${device.id}`)!;
    const personal = ['UserEnrollment', 'AccountDrivenUserEnrollment', 'PersonalDeviceProfile'].includes(
      device.ownershipType,
    );
    expect(normalized).toMatchObject({
      platform: 'ios',
      serialNumber: device.serialNumber,
      ownership: personal ? 'personal' : 'company',
      enrollmentMode: device.ownershipType.includes('UserEnrollment') ? 'user-enrollment' : 'device',
      supervised: device.supervised,
      encrypted: device.dataProtected,
      jailbroken: device.jailBreakDetected,
      compliance: 'unknown',
      lastCheckInAt: new Date(device.lastInventoryUpdate),
      user: {
        externalId: null,
        principalName: device.user.username,
        displayName: device.user.realName,
        email: device.user.email,
      },
    });
  }
  const mac = emulator.fleet.computers.find((c) => c.managed)!;
  expect(byId.get(`computer:${mac.id}`)).toMatchObject({
    platform: 'macos',
    encrypted: mac.fileVault2Status === 'ALL_ENCRYPTED',
    ownership: mac.enrolledViaAutomatedDeviceEnrollment ? 'company' : 'unknown',
    lastCheckInAt: new Date(mac.lastContactTime),
  });
});

it('refuses a listing that ends early while totalCount says more', async () => {
  emulator.setFaults({ truncateListingAfter: 1000 });
  const { error } = await collectFailure(jamfConnector(emulator).listDevices());
  expect(error).toBeInstanceOf(MdmError);
  expect((error as MdmError).kind).toBe('incomplete');
});

it('finds the devices holding each app, with managed apps on the managed side', async () => {
  emulator.setFaults({ throttleRate: 0.2, retryAfterSeconds: 0, serverErrorRate: 0.05 });
  const connector = jamfConnector(emulator);
  const { items } = await collect(connector.devicesWithApps(MESSENGERS));
  for (const identifier of MESSENGERS) {
    const found = items.filter((hit) => hit.identifier === identifier).map((hit) => hit.deviceExternalId);
    expect(found).toEqual(emulator.fleet.mobileDevicesHolding(identifier).map((id) => `mobile:${id}`));
  }
  const hit = items.find((h) => h.scope === 'work-profile')!;
  const app = emulator.fleet
    .mobileDevice(hit.deviceExternalId.slice('mobile:'.length))!
    .apps.find((a) => a.identifier === hit.identifier)!;
  expect(app.managementStatus).toBe('Managed');
  expect(new Set(items.map((h) => h.scope))).toEqual(new Set(['work-profile', 'device']));
  // One walk of the inventory for every app: 2 pages of 2,000, not a request per device.
  expect(emulator.stats().byRoute['GET /api/v2/mobile-devices/detail']!['200']).toBe(2);
});

it('never has more than five requests in flight, however many callers', async () => {
  emulator.setFaults({ latencyMs: 20 });
  const connector = jamfConnector(emulator);
  await Promise.all([
    collect(connector.listDevices()),
    collect(connector.devicesWithApps(MESSENGERS)),
    ...Array.from({ length: 12 }, (_, i) => connector.actionStatus(`mobile:${i + 1}`, 'lock')),
  ]);
  const { maxInFlight } = emulator.stats();
  expect(maxInFlight).toBe(5);
});

it('sorts a wrong secret as auth, on either token path', async () => {
  for (const tokenPath of ['/api/oauth/token', '/api/v1/oauth/token']) {
    const connector = jamfConnector(emulator, { clientSecret: 'wrong', tokenPath });
    await expect(connector.verify()).rejects.toMatchObject({ kind: 'auth', credentialBroken: true });
  }
  await expect(jamfConnector(emulator, { tokenPath: '/api/v1/oauth/token' }).verify()).resolves.toBeUndefined();
});

it('fetches a new token when Jamf stops accepting the cached one', async () => {
  const connector = jamfConnector(emulator);
  await connector.verify();
  emulator.expireTokens();
  await connector.verify();
  expect(emulator.stats().tokensIssued).toBe(2);
});

it('has no directory: listUsers and resolveGroups say so', async () => {
  const connector = jamfConnector(emulator);
  await expect(collect(connector.listUsers())).rejects.toMatchObject({ kind: 'invalid' });
  await expect(connector.resolveGroups(['all-employees'])).rejects.toMatchObject({ kind: 'invalid' });
});
