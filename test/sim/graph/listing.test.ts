import type { GraphEmulator, ManagedDevice } from '../../../src/sim/graph';
import { allPages, EmulatorClient, expectGraphError, type GraphPage, startEmulator } from './helpers';

type Device = Partial<ManagedDevice> & { id: string };

describe('managedDevices listing: paging and OData query options', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;
  let fleet: ManagedDevice[];

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 2600, seed: 21 });
    client = new EmulatorClient(emulator);
    fleet = [...emulator.tenant.devices()];
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  const ids = (pages: GraphPage<Device>[]) => pages.flatMap((page) => page.value.map((device) => device.id));

  it('pages by 1000 by default with absolute https nextLinks and opaque skip tokens', async () => {
    const pages = await allPages<Device>(client, '/v1.0/deviceManagement/managedDevices');
    expect(pages.map((page) => page.value.length)).toEqual([1000, 1000, 600]);
    expect(ids(pages)).toEqual(fleet.map((device) => device.id));
    const next = pages[0]?.['@odata.nextLink'] as string;
    expect(next).toMatch(
      new RegExp(`^${emulator.url}/v1\\.0/deviceManagement/managedDevices\\?\\$skiptoken=[A-Za-z0-9%._-]+$`),
    );
    expect(pages[0]?.['@odata.context']).toBe(`${emulator.url}/v1.0/$metadata#deviceManagement/managedDevices`);
    expect(pages[2]?.['@odata.nextLink']).toBeUndefined();
  });

  it('caps $top at 1000 and uses it as the page size', async () => {
    const small = await allPages<Device>(client, '/v1.0/deviceManagement/managedDevices?$top=700');
    expect(small.map((page) => page.value.length)).toEqual([700, 700, 700, 500]);
    const huge = await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=5000');
    expect((huge.body as GraphPage<Device>).value).toHaveLength(1000);
    expectGraphError(await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=-1'), 400, 'BadRequest');
  });

  it('returns only $select-ed properties plus id, on every page, and names them in the context', async () => {
    const pages = await allPages<Device>(
      client,
      '/v1.0/deviceManagement/managedDevices?$select=deviceName,serialNumber&$top=1000',
    );
    expect(pages).toHaveLength(3);
    for (const page of pages) {
      expect(page['@odata.context']).toMatch(/managedDevices\(deviceName,serialNumber\)$/);
      for (const device of page.value) expect(Object.keys(device)).toEqual(['id', 'deviceName', 'serialNumber']);
    }
    expectGraphError(
      await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$select=devicename'),
      400,
      'BadRequest',
    );
  });

  it('answers the documented list-null properties as null (0 for physicalMemoryInBytes), filled only by a single GET with $select', async () => {
    const [page] = await allPages<ManagedDevice>(client, '/v1.0/deviceManagement/managedDevices?$top=50');
    for (const device of page?.value ?? []) {
      expect([
        device.activationLockBypassCode,
        device.ethernetMacAddress,
        device.iccid,
        device.udid,
        device.notes,
      ]).toEqual([null, null, null, null, null]);
      expect(device.physicalMemoryInBytes).toBe(0);
    }
    const apple = fleet.find((device) => device.isSupervised && device.operatingSystem === 'iOS') as ManagedDevice;
    const plain = (await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${apple.id}`))
      .body as ManagedDevice;
    expect([plain.udid, plain.physicalMemoryInBytes]).toEqual([null, 0]);
    const selected = await client.graph(
      'GET',
      `/v1.0/deviceManagement/managedDevices/${apple.id}?$select=udid,physicalMemoryInBytes,activationLockBypassCode,iccid`,
    );
    const body = selected.body as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      '@odata.context',
      'id',
      'activationLockBypassCode',
      'iccid',
      'udid',
      'physicalMemoryInBytes',
    ]);
    expect(body.udid).toBe(apple.udid);
    expect(body.udid).toMatch(/^00008\d{3}-[0-9A-F]{16}$/);
    expect(body.physicalMemoryInBytes).toBeGreaterThan(1024 ** 3);
    expect(body.activationLockBypassCode).toBe(apple.activationLockBypassCode);
  });

  it('filters on the documented properties and operators, across pages, with the true @odata.count', async () => {
    const cases: [string, (device: ManagedDevice) => boolean][] = [
      ["complianceState eq 'noncompliant'", (d) => d.complianceState === 'noncompliant'],
      [
        "operatingSystem eq 'Android' or operatingSystem eq 'iOS'",
        (d) => d.operatingSystem === 'Android' || d.operatingSystem === 'iOS',
      ],
      ["jailBroken eq 'True'", (d) => d.jailBroken === 'True'],
      ["contains(deviceName,'AndroidForWork')", (d) => (d.deviceName ?? '').includes('AndroidForWork')],
      [
        "managementAgent eq 'googleCloudDevicePolicyController' and manufacturer eq 'samsung'",
        (d) => d.managementAgent === 'googleCloudDevicePolicyController' && d.manufacturer === 'samsung',
      ],
      [
        'lastSyncDateTime lt 2025-02-15T00:00:00Z',
        (d) => Date.parse(d.lastSyncDateTime) < Date.parse('2025-02-15T00:00:00Z'),
      ],
      [
        'enrolledDateTime gt 2024-12-01T00:00:00Z',
        (d) => Date.parse(d.enrolledDateTime) > Date.parse('2024-12-01T00:00:00Z'),
      ],
      [
        `userPrincipalName ne '${fleet[0]?.userPrincipalName}'`,
        (d) => d.userPrincipalName !== fleet[0]?.userPrincipalName,
      ],
      [`serialNumber eq '${fleet[9]?.serialNumber}'`, (d) => d.serialNumber === fleet[9]?.serialNumber],
    ];
    for (const [filter, predicate] of cases) {
      const expected = fleet.filter(predicate).map((device) => device.id);
      expect(expected.length).toBeGreaterThan(0);
      const pages = await allPages<Device>(
        client,
        `/v1.0/deviceManagement/managedDevices?$filter=${encodeURIComponent(filter)}&$count=true&$top=400&$select=id`,
      );
      expect({ filter, ids: ids(pages) }).toEqual({ filter, ids: expected });
      for (const page of pages) expect(page['@odata.count']).toBe(expected.length);
    }
  });

  it('answers 400 for undocumented properties, operators, malformed filters and bad enum values', async () => {
    for (const filter of [
      "model eq 'iPhone 14'", // not filterable
      "deviceName ne 'x'", // operator not documented for deviceName
      "contains(serialNumber,'A')",
      "startswith(deviceName,'A')",
      'lastSyncDateTime eq 2025-01-01T00:00:00Z',
      "lastSyncDateTime lt '2025-01-01'",
      "complianceState eq 'broken'",
      "not (operatingSystem eq 'iOS')",
      "deviceName eq 'unterminated",
      "nosuchproperty eq 'x'",
    ]) {
      const response = await client.graph(
        'GET',
        `/v1.0/deviceManagement/managedDevices?$filter=${encodeURIComponent(filter)}`,
      );
      expect({ filter, status: response.status }).toEqual({ filter, status: 400 });
      expectGraphError(response, 400, 'BadRequest');
    }
    expectGraphError(
      await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$orderby=deviceName'),
      400,
      'BadRequest',
    );
  });

  it('emulates $skip: usable below 1000, an empty page from 1000 on', async () => {
    const skipped = (await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$skip=10&$top=5'))
      .body as GraphPage<Device>;
    expect(skipped.value.map((device) => device.id)).toEqual(fleet.slice(10, 15).map((device) => device.id));
    const beyond = (await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$skip=1000&$count=true'))
      .body as GraphPage<Device>;
    expect(beyond.value).toEqual([]);
    expect(beyond['@odata.nextLink']).toBeUndefined();
    expect(beyond['@odata.count']).toBe(fleet.length);
  });

  it('rejects tampered skip tokens and tokens from another listing', async () => {
    const first = (await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=10'))
      .body as GraphPage<Device>;
    const token = new URL(first['@odata.nextLink'] as string).searchParams.get('$skiptoken') as string;
    const tampered = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    expectGraphError(
      await client.graph('GET', `/v1.0/deviceManagement/managedDevices?$skiptoken=${encodeURIComponent(tampered)}`),
      400,
      'BadRequest',
    );
    expectGraphError(
      await client.graph('GET', `/v1.0/deviceManagement/detectedApps?$skiptoken=${encodeURIComponent(token)}`),
      400,
      'BadRequest',
    );
  });

  it('keeps paging stable when devices are removed or added mid-listing', async () => {
    const first = (await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$top=100&$select=id'))
      .body as GraphPage<Device>;
    const removed = fleet[5] as ManagedDevice;
    emulator.tenant.removeDevice(removed.id);
    const added = emulator.tenant.addDevice({ deviceName: 'NEW-LAPTOP' });
    const rest = await allPages<Device>(client, first['@odata.nextLink'] as string);
    const seen = [...first.value.map((device) => device.id), ...ids(rest)];
    expect(seen).toEqual([...fleet.map((device) => device.id), added.id]);
    const single = await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${removed.id}`);
    const error = expectGraphError(single, 404, 'ResourceNotFound');
    expect(JSON.parse(error.error.message)).toMatchObject({
      _version: 3,
      Message: expect.stringContaining(removed.id),
    });
    emulator.tenant.removeDevice(added.id);
  });

  it('lists detectedApps and the devices reporting one, consistently with deviceCount', async () => {
    const [apps] = await allPages<{ id: string; displayName: string; platform: string; deviceCount: number }>(
      client,
      '/v1.0/deviceManagement/detectedApps',
    );
    const whatsApp = apps?.value.find(
      (app) => app.displayName === 'com.whatsapp' && app.platform === 'androidWorkProfile',
    );
    expect(whatsApp).toBeDefined();
    for (const app of [whatsApp, apps?.value[0]]) {
      const pages = await allPages<Device>(
        client,
        `/v1.0/deviceManagement/detectedApps/${app?.id}/managedDevices?$top=100&$select=operatingSystem,managedDeviceOwnerType`,
      );
      expect(ids(pages)).toHaveLength(app?.deviceCount ?? -1);
    }
    const devices = await allPages<Device>(
      client,
      `/v1.0/deviceManagement/detectedApps/${whatsApp?.id}/managedDevices`,
    );
    for (const device of devices.flatMap((page) => page.value)) {
      expect([device.operatingSystem, device.managedDeviceOwnerType]).toEqual(['Android', 'personal']);
    }
    expectGraphError(
      await client.graph('GET', '/v1.0/deviceManagement/detectedApps/ffff/managedDevices'),
      404,
      'ResourceNotFound',
    );
  });
});

describe('a 100,000-device tenant', () => {
  it('starts quickly and serves full pages and single devices', async () => {
    const started = Date.now();
    const emulator = await startEmulator({ devices: 100_000, seed: 2 });
    expect(Date.now() - started).toBeLessThan(2000);
    const client = new EmulatorClient(emulator);
    const first = (await client.graph('GET', '/v1.0/deviceManagement/managedDevices?$count=true'))
      .body as GraphPage<Device>;
    expect(first.value).toHaveLength(1000);
    expect(first['@odata.count']).toBe(100_000);
    const second = (await client.graph('GET', first['@odata.nextLink'] as string)).body as GraphPage<Device>;
    expect(second.value[0]?.id).toBe(emulator.tenant.fleet.deviceIdOf(1000));
    const last = emulator.tenant.fleet.deviceIdOf(99_999);
    expect(((await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${last}`)).body as Device).id).toBe(last);
    await client.close();
    await emulator.stop();
  });
});
