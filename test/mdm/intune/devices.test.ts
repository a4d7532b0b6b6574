// listDevices against the emulated tenant over HTTPS: exact, economical, unchanged by throttling, errors and
// resets, and never silently partial.
import { MdmError, type NormalizedDevice } from '../../../src/mdm';
import { DEVICE_SELECT } from '../../../src/mdm/intune/mapping';
import type { GraphEmulator, ManagedDevice } from '../../../src/sim/graph';
import { capturingLogger, collect, collectFailure, intuneConnector, SECRET, startEmulator } from './helpers';

const DEVICES = 2500;
const PAGES = Math.ceil(DEVICES / 1000);
const TOKEN_ROUTE = 'POST /{tenant}/oauth2/v2.0/token';

/** The emulator's device as a $select of the mapped fields returns it. */
function projected(device: ManagedDevice): Record<string, unknown> {
  return Object.fromEntries(DEVICE_SELECT.map((field) => [field, device[field]]));
}

describe('IntuneConnector.listDevices', () => {
  let emulator: GraphEmulator;
  let expected: Record<string, unknown>[];

  beforeAll(async () => {
    emulator = await startEmulator({ devices: DEVICES, seed: 11 });
    expected = [...emulator.tenant.devices()].map(projected);
  });
  afterAll(async () => {
    await emulator.stop();
  });
  beforeEach(() => {
    emulator.setFaults({
      throttleRate: 0,
      throttleRetryAfter: true,
      serverErrorRate: 0,
      resetRate: 0,
      truncateListingAfter: null,
    });
    emulator.resetStats();
  });

  const natives = (devices: NormalizedDevice[]) => devices.map((device) => device.native);

  it('returns exactly the tenant’s devices, in ceil(N/1000) pages plus one token request', async () => {
    const connector = intuneConnector(emulator);
    const started = Date.now();
    const { items, pages } = await collect(connector.listDevices());
    const elapsed = Date.now() - started;
    expect(items.map((device) => device.externalId)).toEqual(expected.map((device) => device.id));
    expect(natives(items)).toEqual(expected);
    expect(pages).toBe(PAGES);
    const stats = emulator.stats();
    expect(stats.totalRequests).toBeLessThanOrEqual(PAGES + 1);
    expect(stats.requests[TOKEN_ROUTE]).toEqual({ '200': 1 });
    expect(connector.stats()).toEqual({ requests: PAGES, throttled: 0, retried: 0 });
    process.stdout.write(`clean listing of ${DEVICES} devices: ${stats.totalRequests} requests, ${elapsed} ms\n`);
  });

  it('maps the fleet’s enrolment modes as the emulated profiles define them', async () => {
    const { items } = await collect(intuneConnector(emulator).listDevices());
    const modes = new Map<string, string>();
    for (const device of items) {
      const tag = String(device.native.managedDeviceName).split('_').at(-3);
      modes.set(`${device.platform}/${device.ownership}/${tag}`, device.enrollmentMode);
    }
    expect(modes.get('android/personal/AndroidForWork')).toBe('work-profile');
    expect(modes.get('android/company/AndroidEnterprise')).toBe('fully-managed');
    expect(modes.get('android/personal/Android')).toBe('legacy-admin');
    expect(modes.get('windows/company/Windows')).toBe('device');
    const userEnrolled = items.filter((device) => device.native.deviceEnrollmentType === 'appleUserEnrollment');
    expect(userEnrolled.length).toBeGreaterThan(0);
    expect(new Set(userEnrolled.map((device) => device.enrollmentMode))).toEqual(new Set(['user-enrollment']));
  });

  it.each([
    ['with Retry-After', true],
    ['without Retry-After', false],
  ])('gives the identical result under 30%% 429 (%s), 5%% 5xx and resets', async (_label, retryAfter) => {
    emulator.setFaults({
      throttleRate: 0.3,
      throttleRetryAfter: retryAfter,
      retryAfterSeconds: 1,
      serverErrorRate: 0.05,
      resetRate: 0.05,
    });
    const connector = intuneConnector(emulator);
    const started = Date.now();
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(natives((await collect(connector.listDevices())).items));
    const elapsed = Date.now() - started;
    for (const result of runs) expect(result).toEqual(expected);
    const stats = emulator.stats();
    const ours = connector.stats();
    const tokenRequests = Object.values(stats.requests[TOKEN_ROUTE] ?? {}).reduce((sum, count) => sum + count, 0);
    expect(stats.throttled).toBeGreaterThan(0);
    expect(ours.throttled).toBe(stats.throttled);
    expect(ours.requests).toBe(stats.totalRequests - tokenRequests);
    expect(ours.retried).toBe(ours.requests - 3 * PAGES);
    // Backoff is capped at 200 ms here, so only an honoured Retry-After of 1 s explains this much waiting.
    if (retryAfter) expect(elapsed).toBeGreaterThanOrEqual(1000 * ours.throttled);
    process.stdout.write(
      `3 listings under faults (${retryAfter ? 'Retry-After 1 s' : 'backoff'}): ${JSON.stringify(ours)}, ` +
        `${stats.serverErrors} 5xx, ${stats.resets} resets, ${elapsed} ms\n`,
    );
  });

  it('rides out heavy 5xx and connection resets with backoff alone', async () => {
    emulator.setFaults({ serverErrorRate: 0.3, resetRate: 0.2 });
    const connector = intuneConnector(emulator);
    // The injector is seeded, so which requests fail depends on test order: list until both faults were met.
    for (let run = 0; run < 10; run++) {
      expect(natives((await collect(connector.listDevices())).items)).toEqual(expected);
      const { serverErrors, resets } = emulator.stats();
      if (run >= 2 && serverErrors > 0 && resets > 0) break;
    }
    const stats = emulator.stats();
    expect(stats.serverErrors).toBeGreaterThan(0);
    expect(stats.resets).toBeGreaterThan(0);
    expect(connector.stats().retried).toBe(stats.serverErrors + stats.resets);
  });

  it('throws MdmError incomplete after the last page when the listing stops short of @odata.count', async () => {
    emulator.setFaults({ truncateListingAfter: 1500 });
    const { items, error } = await collectFailure(intuneConnector(emulator).listDevices());
    expect(items).toHaveLength(1500);
    expect(error).toBeInstanceOf(MdmError);
    expect(error).toMatchObject({ kind: 'incomplete' });
    expect((error as MdmError).message).toMatch(/received 1500 of 2500/);
  });

  it('stops a listing at once when its signal aborts', async () => {
    emulator.setFaults({ latencyMs: 300 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('worker shutting down')), 100);
    try {
      const { error } = await collectFailure(intuneConnector(emulator).listDevices({ signal: controller.signal }));
      expect(error).toEqual(new Error('worker shutting down'));
      expect(Date.now() - started).toBeLessThan(300);
    } finally {
      emulator.setFaults({ latencyMs: 0 });
    }
  });

  it('refuses settings that are not https URLs as MdmError invalid', () => {
    for (const url of ['http://graph.example', 'not a url']) {
      expect(() => intuneConnector({ ...emulator, url })).toThrow(expect.objectContaining({ kind: 'invalid' }));
      expect(() => intuneConnector({ ...emulator, authorityHost: url })).toThrow(
        expect.objectContaining({ kind: 'invalid' }),
      );
    }
  });

  it('sorts a wrong client secret into MdmError auth, a broken credential, without retrying', async () => {
    const connector = intuneConnector(emulator, { type: 'client-secret', clientSecret: 'not-the-secret' });
    const { error } = await collectFailure(connector.listDevices());
    expect(error).toBeInstanceOf(MdmError);
    expect(error).toMatchObject({ kind: 'auth', status: 401, credentialBroken: true });
    await expect(connector.verify()).rejects.toMatchObject({ kind: 'auth', credentialBroken: true });
    expect(connector.stats().requests).toBe(0);
    expect(emulator.stats().requests['GET /v1.0/deviceManagement/managedDevices']).toBeUndefined();
  });

  it('verify() fetches a token and reads one device id', async () => {
    const connector = intuneConnector(emulator);
    await connector.verify();
    expect(emulator.stats().requests['GET /v1.0/deviceManagement/managedDevices']).toEqual({ '200': 1 });
  });

  it('never writes the client secret or an access token to its log', async () => {
    const { log, lines } = capturingLogger();
    emulator.setFaults({ throttleRate: 0.3, throttleRetryAfter: false, serverErrorRate: 0.05 });
    await collect(intuneConnector(emulator, SECRET, { log }).listDevices());
    await collect(intuneConnector(emulator, SECRET, { log }).devicesWithApps(['com.whatsapp']));
    const wrong = { type: 'client-secret', clientSecret: 'wrong-secret-value-123' } as const;
    await collectFailure(intuneConnector(emulator, wrong, { log }).listDevices());
    expect(lines.some((line) => line.includes('listed managed devices'))).toBe(true);
    expect(lines.some((line) => line.includes('retrying'))).toBe(true);
    expect(lines.some((line) => line.includes('listing devices failed'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(SECRET.type === 'client-secret' ? SECRET.clientSecret : '');
      expect(line).not.toContain('wrong-secret-value-123');
      expect(line).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // a JWT
      expect(line.toLowerCase()).not.toContain('bearer');
    }
  });
});
