import { Client, PageIterator } from '@microsoft/microsoft-graph-client';
import { Command } from 'commander';
import {
  actionCount,
  DEFAULT_FAULTS,
  FAULT_OPTIONS,
  faultSettingsFromOptions,
  type GraphEmulator,
  InvalidFaultSettingError,
  type ManagedDevice,
  parseFaultFlags,
} from '../../../src/sim/graph';
import { allPages, EmulatorClient, expectGraphError, startEmulator } from './helpers';

describe('fault settings from CLI flags', () => {
  it('turns flags into settings', () => {
    const args = ['--throttle-rate', '0.3', '--no-retry-after', '--error-rate', '0.05', '--latency', '50'];
    expect(
      parseFaultFlags([...args, '--reset-rate', '0.01', '--truncate-after', '948', '--retry-after-seconds=7']),
    ).toEqual({
      throttleRate: 0.3,
      throttleRetryAfter: false,
      serverErrorRate: 0.05,
      latencyMs: 50,
      resetRate: 0.01,
      truncateListingAfter: 948,
      retryAfterSeconds: 7,
    });
    expect(parseFaultFlags(['--truncate-after', 'off'])).toEqual({ truncateListingAfter: null });
  });

  it('explains bad values', () => {
    expect(() => parseFaultFlags(['--throttle-rate', '1.5'])).toThrow(
      '--throttle-rate must be a number between 0 and 1, got "1.5"',
    );
    expect(() => parseFaultFlags(['--latency', 'fast'])).toThrow(
      '--latency must be a whole number from 0 to 60000, got "fast"',
    );
    expect(() => parseFaultFlags(['--truncate-after', '-3'])).toThrow(InvalidFaultSettingError);
    expect(() => parseFaultFlags(['--error-rate'])).toThrow("option '--error-rate <share>' argument missing");
    expect(() => parseFaultFlags(['--chaos'])).toThrow("unknown fault option '--chaos'");
  });

  it('plugs into commander: definitions register as options and bad values become usage errors', () => {
    const program = () => {
      const command = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      for (const option of FAULT_OPTIONS) {
        if (option.parse) command.option(option.flags, option.description, option.parse);
        else command.option(option.flags, option.description);
      }
      return command;
    };
    const parsed = program().parse(['--throttle-rate', '0.25', '--no-retry-after', '--latency', '10'], {
      from: 'user',
    });
    expect(faultSettingsFromOptions(parsed.opts())).toEqual({
      throttleRate: 0.25,
      throttleRetryAfter: false,
      latencyMs: 10,
    });
    expect(faultSettingsFromOptions(program().parse([], { from: 'user' }).opts())).toEqual({
      throttleRetryAfter: true,
    });
    expect(() => program().parse(['--reset-rate', 'lots'], { from: 'user' })).toThrow(
      /option '--reset-rate <share>' argument 'lots' is invalid\. --reset-rate must be a number between 0 and 1/,
    );
  });
});

describe('injected faults', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 2100, seed: 31, actionLatencyMs: 0 });
    client = new EmulatorClient(emulator);
    await client.accessToken();
  });
  afterEach(() => {
    emulator.setFaults({ ...DEFAULT_FAULTS });
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  it('truncates the managedDevices page set without a nextLink while @odata.count keeps the true total', async () => {
    emulator.setFaults({ truncateListingAfter: 948 });
    for (const top of [1000, 300]) {
      const pages = await allPages<ManagedDevice>(
        client,
        `/v1.0/deviceManagement/managedDevices?$count=true&$top=${top}&$select=id`,
      );
      expect(pages.reduce((sum, page) => sum + page.value.length, 0)).toBe(948);
      expect(pages.at(-1)?.['@odata.nextLink']).toBeUndefined();
      for (const page of pages) expect(page['@odata.count']).toBe(2100);
    }
  });

  it('answers 429 TooManyRequests with Retry-After, or without it when so configured', async () => {
    emulator.setFaults({ throttleRate: 1, retryAfterSeconds: 7 });
    const before = emulator.stats().throttled;
    const withHeader = await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=1');
    expectGraphError(withHeader, 429, 'TooManyRequests');
    expect(withHeader.headers.get('retry-after')).toBe('7');
    emulator.setFaults({ throttleRetryAfter: false });
    const without = await client.graph('GET', '/v1.0/users');
    expectGraphError(without, 429, 'TooManyRequests');
    expect(without.headers.get('retry-after')).toBeNull();
    expect(emulator.stats().throttled).toBe(before + 2);
  });

  it('lets the official client ride out partial throttling through its retry handler', async () => {
    emulator.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0 });
    const token = await client.accessToken();
    const graph = Client.initWithMiddleware({
      authProvider: { getAccessToken: async () => token },
      baseUrl: `${emulator.url}/`,
      customHosts: new Set(['127.0.0.1']),
      fetchOptions: { dispatcher: client.dispatcher } as RequestInit,
    });
    const ids: string[] = [];
    const first = await graph.api('/deviceManagement/managedDevices').top(200).select('id').get();
    await new PageIterator(graph, first, (device: { id: string }) => Boolean(ids.push(device.id))).iterate();
    expect(ids).toEqual([...emulator.tenant.devices()].map((device) => device.id));
    expect(emulator.stats().requests['GET /v1.0/deviceManagement/managedDevices']?.['429']).toBeGreaterThan(0);
  });

  it('answers 500/502/503/504 in the Graph error shape', async () => {
    emulator.setFaults({ serverErrorRate: 1 });
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const response = await client.graph('GET', '/v1.0/deviceManagement/detectedApps');
      statuses.add(response.status);
      expectGraphError(response, response.status, (response.body as { error: { code: string } }).error.code);
    }
    expect(statuses).toEqual(new Set([500, 502, 503, 504]));
  });

  it('resets connections mid-request, sometimes after a write took effect', async () => {
    emulator.setFaults({ resetRate: 1 });
    const deviceId = [...emulator.tenant.devices()][7]?.id as string;
    const resetsBefore = emulator.stats().resets;
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      await client
        .graph('POST', `/v1.0/deviceManagement/managedDevices/${deviceId}/syncDevice`)
        .catch(() => failures++);
    }
    expect(failures).toBe(20);
    expect(emulator.stats().resets - resetsBefore).toBe(20);
    const applied = actionCount(emulator.stats(), deviceId, 'syncDevice');
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(20);
  });

  it('adds latency to every response', async () => {
    emulator.setFaults({ latencyMs: 120 });
    const started = Date.now();
    const response = await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=1');
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
  });

  it('rejects invalid settings', () => {
    expect(() => emulator.setFaults({ throttleRate: 2 })).toThrow(InvalidFaultSettingError);
    expect(() => emulator.setFaults({ retryAfterSeconds: -1 })).toThrow(/retryAfterSeconds must be a whole number/);
    expect(emulator.faults()).toEqual(DEFAULT_FAULTS);
  });
});

describe('enforced Intune request limits', () => {
  const clients = [
    '11111111-1111-4111-8111-111111111111',
    '22222222-2222-4222-8222-222222222222',
    '33333333-3333-4333-8333-333333333333',
  ];
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({
      devices: 50,
      enforceLimits: true,
      actionLatencyMs: 0,
      clients: clients.map((clientId) => ({ clientId, clientSecret: 's3cret' })),
    });
  });
  afterAll(() => emulator.stop());

  async function writes(client: EmulatorClient, deviceId: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let done = 0; done < count; done += 25) {
      const batch = Array.from({ length: Math.min(25, count - done) }, () =>
        client.graph('POST', `/v1.0/deviceManagement/managedDevices/${deviceId}/syncDevice`).then((r) => r.status),
      );
      statuses.push(...(await Promise.all(batch)));
    }
    return statuses;
  }

  it('allows 200 writes per app and 400 per tenant in 20 s, then answers 429 with Retry-After', async () => {
    const [first, second, third] = clients.map(
      (clientId) => new EmulatorClient(emulator, { clientId, clientSecret: 's3cret' }),
    );
    const deviceId = [...emulator.tenant.devices()][0]?.id as string;
    expect(await writes(first as EmulatorClient, deviceId, 200)).toEqual(Array(200).fill(204));
    const overAppLimit = await (first as EmulatorClient).graph(
      'POST',
      `/v1.0/deviceManagement/managedDevices/${deviceId}/syncDevice`,
    );
    expectGraphError(overAppLimit, 429, 'TooManyRequests');
    const retryAfter = Number(overAppLimit.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    // Reads still fit the (larger) any-request budget.
    expect((await (first as EmulatorClient).graph('GET', '/v1.0/deviceManagement/managedDevices?$top=1')).status).toBe(
      200,
    );
    expect(await writes(second as EmulatorClient, deviceId, 200)).toEqual(Array(200).fill(204));
    const overTenantLimit = await (third as EmulatorClient).graph(
      'POST',
      `/v1.0/deviceManagement/managedDevices/${deviceId}/syncDevice`,
    );
    expectGraphError(overTenantLimit, 429, 'TooManyRequests');
    expect(emulator.stats().limitThrottled).toBe(2);
    expect(actionCount(emulator.stats(), deviceId, 'syncDevice')).toBe(400);
    await Promise.all([first, second, third].map((client) => client?.close()));
  });
});
