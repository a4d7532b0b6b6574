// devicesWithApps against the emulated tenant: exactly the devices the tenant says hold the apps, with the
// work-profile scope where Intune reports the app inside a work profile, asked per app through $batch.
import type { AppHit } from '../../../src/mdm';
import type { GraphEmulator } from '../../../src/sim/graph';
import { collect, intuneConnector, startEmulator } from './helpers';

const MESSENGERS = ['com.whatsapp', 'net.whatsapp.WhatsApp', 'com.facebook.orca', 'org.telegram.messenger'];
const APP_DEVICES = 'GET /v1.0/deviceManagement/detectedApps/{id}/managedDevices';
const BATCH = 'POST /v1.0/$batch';

/** "appId device scope" per hit the tenant's own state implies, sorted. */
function expectedHits(emulator: GraphEmulator, identifiers: readonly string[]): string[] {
  const wanted = new Set(identifiers.map((identifier) => identifier.toLowerCase()));
  const { tenant } = emulator;
  return tenant
    .detectedApps()
    .filter((app) => wanted.has(String(app.displayName).toLowerCase()))
    .flatMap((app) =>
      tenant.deviceOrdinalsWithApp(app.id).map((ordinal) => {
        const scope = app.platform === 'androidWorkProfile' ? 'work-profile' : 'device';
        return `${app.id} ${tenant.deviceAt(ordinal).id} ${scope}`;
      }),
    )
    .sort();
}

const keys = (hits: AppHit[]) => hits.map((hit) => `${hit.appExternalId} ${hit.deviceExternalId} ${hit.scope}`).sort();

function matchedApps(emulator: GraphEmulator, identifiers: readonly string[]): number {
  const wanted = new Set(identifiers.map((identifier) => identifier.toLowerCase()));
  return emulator.tenant.detectedApps().filter((app) => wanted.has(String(app.displayName).toLowerCase())).length;
}

describe('IntuneConnector.devicesWithApps', () => {
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 1200, seed: 23 });
  });
  afterAll(async () => {
    await emulator.stop();
  });
  beforeEach(() => {
    emulator.setFaults({ throttleRate: 0, throttleRetryAfter: true, serverErrorRate: 0, resetRate: 0 });
    emulator.resetStats();
  });

  it('returns exactly the devices holding the messengers, work-profile scope included, in one $batch', async () => {
    const connector = intuneConnector(emulator);
    const started = Date.now();
    const { items } = await collect(connector.devicesWithApps(MESSENGERS));
    const elapsed = Date.now() - started;
    const expected = expectedHits(emulator, MESSENGERS);
    expect(keys(items)).toEqual(expected);
    expect(items.some((hit) => hit.scope === 'work-profile')).toBe(true);
    expect(items.some((hit) => hit.scope === 'device')).toBe(true);
    for (const hit of items) {
      expect(MESSENGERS).toContain(hit.identifier);
      const app = emulator.tenant.getDetectedApp(hit.appExternalId);
      expect({ displayName: hit.displayName, version: hit.version }).toEqual({
        displayName: app?.displayName,
        version: app?.version,
      });
    }
    const apps = matchedApps(emulator, MESSENGERS);
    const stats = emulator.stats();
    expect(apps).toBeGreaterThan(5);
    expect(stats.requests[BATCH]).toEqual({ '200': Math.ceil(apps / 20) });
    expect(stats.batchItems[APP_DEVICES]).toEqual({ '200': apps });
    expect(stats.requests[APP_DEVICES]).toBeUndefined();
    expect(connector.stats()).toEqual({ requests: 1 + Math.ceil(apps / 20), throttled: 0, retried: 0 });
    process.stdout.write(
      `devicesWithApps(${MESSENGERS.length} ids): ${apps} detectedApps, ${items.length} hits, ` +
        `${stats.totalRequests} requests, ${elapsed} ms\n`,
    );
  });

  it('matches identifiers case-insensitively and batches many apps 20 at a time', async () => {
    const identifiers = [
      ...MESSENGERS.map((identifier) => identifier.toUpperCase()),
      'com.microsoft.teams',
      'Microsoft Teams',
      'com.microsoft.office.outlook',
      'com.Microsoft.Office.Outlook',
      'Google Chrome',
      'com.android.chrome',
      'Microsoft Edge',
      'com.microsoft.emmx',
      'Zoom Workplace (64-bit)',
    ];
    const connector = intuneConnector(emulator);
    const { items } = await collect(connector.devicesWithApps(identifiers));
    expect(keys(items)).toEqual(expectedHits(emulator, identifiers));
    const apps = matchedApps(emulator, identifiers);
    expect(apps).toBeGreaterThan(20);
    expect(emulator.stats().requests[BATCH]).toEqual({ '200': Math.ceil(apps / 20) });
    expect(new Set(items.map((hit) => hit.identifier))).toContain('COM.WHATSAPP');
  });

  it('retries throttled and failed batch items alone and still returns the identical result', async () => {
    const expected = expectedHits(emulator, MESSENGERS);
    // No connection resets here: a reset after the emulator answered a batch makes it count those items twice,
    // which would blur the exact count below (resets are covered by the device-listing tests).
    emulator.setFaults({ throttleRate: 0.3, throttleRetryAfter: false, serverErrorRate: 0.1, resetRate: 0 });
    const connector = intuneConnector(emulator);
    for (let run = 0; run < 3; run++) {
      expect(keys((await collect(connector.devicesWithApps(MESSENGERS))).items)).toEqual(expected);
    }
    const stats = emulator.stats();
    const itemAnswers = Object.values(stats.batchItems[APP_DEVICES] ?? {}).reduce((sum, count) => sum + count, 0);
    const apps = matchedApps(emulator, MESSENGERS);
    expect(stats.throttled).toBeGreaterThan(0);
    expect(connector.stats().throttled).toBe(stats.throttled);
    // Every item answer beyond the first per app and run was a retry of that item alone.
    expect(itemAnswers).toBeGreaterThan(3 * apps);
    expect(stats.batchItems[APP_DEVICES]?.['200']).toBe(3 * apps);
  });

  it('paces a $batch as one request per item inside it', async () => {
    const apps = matchedApps(emulator, MESSENGERS);
    // Room for exactly one sync (the catalogue page plus one batch of `apps` items) per second.
    const pacing = { app: { capacity: apps + 1, refillPerWindow: apps + 1, windowMs: 1000 } };
    const connector = intuneConnector(emulator, undefined, { pacing });
    await collect(connector.devicesWithApps(MESSENGERS));
    const started = Date.now();
    await collect(connector.devicesWithApps(MESSENGERS));
    // Charged one token, the second batch would have gone at once; charged `apps`, it waits most of a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    intuneConnector(emulator); // puts the shared bucket back to the default limits for the tests after this one
  });

  it('follows an app’s nextLinks past its first page and checks the count', async () => {
    const devices = [...emulator.tenant.devices()].slice(0, 1100);
    for (const device of devices) {
      emulator.tenant.addDetectedApp(device.id, { displayName: 'com.example.chatty', platform: 'androidWorkProfile' });
    }
    const { items } = await collect(intuneConnector(emulator).devicesWithApps(['com.example.chatty']));
    expect(items.map((hit) => hit.deviceExternalId).sort()).toEqual(devices.map((device) => device.id).sort());
    expect(new Set(items.map((hit) => hit.scope))).toEqual(new Set(['work-profile']));
    expect(emulator.stats().requests[APP_DEVICES]).toEqual({ '200': 1 });
  });

  it('yields nothing, without asking per app, when no detected app matches', async () => {
    const connector = intuneConnector(emulator);
    expect((await collect(connector.devicesWithApps(['jp.naver.line']))).items).toEqual([]);
    expect(emulator.stats().requests[BATCH]).toBeUndefined();
  });
});
