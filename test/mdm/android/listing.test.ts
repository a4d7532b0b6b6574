// The Android connector's reads over real HTTPS through the official client: a complete listing under heavy
// throttling and 5xx equals the emulator's truth; a wrong key is an auth failure; what a truncated listing
// can and cannot reveal; apps found equal the emulator's truth; the mapping of one device.
import { MdmError } from '../../../src/mdm/errors';
import { type AndroidEmulator, createServiceAccountKey, MESSENGERS } from '../../../src/sim/android';
import { androidConnector, collect, failureOf, startEmulator } from './helpers';

let emulator: AndroidEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ devices: 1000, seed: 7 });
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0, truncateListingAfter: null }));

const sorted = (ids: string[]) => [...ids].sort();
/** 1,000 managed devices plus the few DELETED ones the listing still shows, 100 a page. */
const pagesOfHundred = () => Math.ceil(emulator.enterprise.listed().length / 100);

it('lists 1,000 devices completely through 30% 429s and 5% 5xx, equal to the emulator', async () => {
  emulator.setFaults({ throttleRate: 0.3, serverErrorRate: 0.05 });
  emulator.resetStats();
  const connector = androidConnector(emulator);
  const devices = await collect(connector.listDevices());
  expect(sorted(devices.map((d) => d.externalId))).toEqual(sorted(emulator.enterprise.managedDeviceIds()));
  expect(emulator.stats().throttled).toBeGreaterThan(0);
  expect(connector.stats()).toMatchObject({ throttled: expect.any(Number), retried: expect.any(Number) });
  expect(connector.stats().retried).toBeGreaterThan(0);
  // 100 per page (plus retries), never the API's default of 10.
  expect(emulator.stats().requests['GET /v1/enterprises/{e}/devices']?.['200']).toBe(pagesOfHundred());
});

it('survives connection resets on reads', async () => {
  emulator.setFaults({ resetRate: 0.2 });
  const devices = await collect(androidConnector(emulator).listDevices());
  expect(devices).toHaveLength(emulator.enterprise.managedDeviceIds().length);
});

it('excludes DELETED devices and maps the rest to Warden’s model', async () => {
  const devices = await collect(androidConnector(emulator).listDevices());
  expect(emulator.enterprise.listed().some((d) => d.state === 'DELETED')).toBe(true);
  expect(devices.some((d) => d.managementState === 'DELETED')).toBe(false);
  const personal = devices.find((d) => d.ownership === 'personal');
  expect(personal).toMatchObject({ platform: 'android', enrollmentMode: 'work-profile', supervised: null });
  const company = devices.find((d) => d.ownership === 'company');
  expect(company?.enrollmentMode).toBe('fully-managed');
  // The minimal policy reports no device settings: encryption is unknown there, never false.
  expect(devices.some((d) => d.encrypted === null)).toBe(true);
  expect(devices.some((d) => d.encrypted === false)).toBe(true);
  expect(devices.some((d) => d.jailbroken === true)).toBe(true);
  expect(devices.every((d) => d.lastCheckInAt instanceof Date && d.user.externalId?.includes('/users/'))).toBe(true);
  expect(devices.some((d) => d.compliance === 'noncompliant')).toBe(true);
});

it('sorts a wrong service account key into auth', async () => {
  const wrongKey = { ...createServiceAccountKey('warden-sim'), client_email: emulator.serviceAccountKey!.client_email };
  const connector = androidConnector(emulator, { type: 'service-account', key: wrongKey as never });
  const error = await failureOf(connector.verify());
  expect(error).toBeInstanceOf(MdmError);
  expect(error).toMatchObject({ kind: 'auth', status: 400 });
  expect((error as MdmError).credentialBroken).toBe(true);
  await expect(connector.verify()).rejects.toMatchObject({ kind: 'auth' });
});

it('gives up on a persistent 5xx as transient, within its attempts', async () => {
  emulator.setFaults({ serverErrorRate: 1 });
  const connector = androidConnector(emulator, undefined, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
  const error = await failureOf(connector.listDevices());
  expect(error).toMatchObject({ kind: 'transient' });
  expect(connector.stats().requests).toBe(3);
});

it('cannot see a listing that ends early by dropping its nextPageToken (AMAPI reports no total)', async () => {
  emulator.setFaults({ truncateListingAfter: 300 });
  // Documented limit: with no count in the API, the walk ends where the service stops; nothing says it was short.
  const devices = await collect(androidConnector(emulator).listDevices());
  expect(devices.length).toBeLessThan(emulator.enterprise.managedDeviceIds().length);
});

it('finds the devices holding watched apps in one pass, equal to the emulator', async () => {
  emulator.resetStats();
  const identifiers = Object.values(MESSENGERS).map((m) => m.packageName);
  const hits = await collect(androidConnector(emulator).devicesWithApps(identifiers));
  for (const identifier of identifiers) {
    const found = hits.filter((h) => h.identifier === identifier).map((h) => h.deviceExternalId);
    expect(sorted(found)).toEqual(sorted(emulator.enterprise.devicesShowingApp(identifier)));
    expect(found.length).toBeGreaterThan(0);
  }
  expect(emulator.stats().requests['GET /v1/enterprises/{e}/devices']?.['200']).toBe(pagesOfHundred());
  expect(new Set(hits.map((h) => h.scope))).toEqual(new Set(['work-profile', 'device']));
  // WhatsApp on the minimal policy is seen only as a blocked app still installed.
  const minimalWhatsapp = emulator.enterprise
    .listed()
    .filter(
      (d) => d.policyId === 'minimal' && d.state !== 'DELETED' && d.apps.some((a) => a.packageName === 'com.whatsapp'),
    );
  expect(minimalWhatsapp.length).toBeGreaterThan(0);
  for (const device of minimalWhatsapp) {
    expect(hits.some((h) => h.deviceExternalId === device.id && h.identifier === 'com.whatsapp')).toBe(true);
  }
});

it('has no directory: listUsers and resolveGroups say so', async () => {
  const connector = androidConnector(emulator);
  await expect(failureOf(connector.listUsers())).resolves.toMatchObject({ kind: 'invalid' });
  await expect(connector.resolveGroups(['all'])).rejects.toMatchObject({ kind: 'invalid' });
});
