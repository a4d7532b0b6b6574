import type { GraphEmulator } from '../../../src/sim/graph';
import { USER_DEFAULT_PROPERTIES } from '../../../src/sim/graph/types';
import { describeErrors, GraphSchema, loadReferenceCsdl } from './graph-schema';
import { allPages, EmulatorClient, type GraphPage, startEmulator } from './helpers';

/** Every emulator payload (errors aside) must validate against the schema derived from the official CSDL. */
describe('emulator payloads against the Graph v1.0 schema', () => {
  const schema = new GraphSchema(loadReferenceCsdl());
  const deviceProperties = schema.propertiesOf('managedDevice');
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 150, seed: 11, actionLatencyMs: 0 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  function expectValid(validate: ReturnType<GraphSchema['page']>, body: unknown): void {
    const valid = validate(body);
    if (!valid) throw new Error(`schema violation:\n${describeErrors(validate)}`);
  }

  function withoutContext(body: unknown): Record<string, unknown> {
    const { '@odata.context': context, ...entity } = body as Record<string, unknown>;
    expect(context).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/\$metadata#/);
    return entity;
  }

  it('derives closed object schemas, so a misspelled property or a wrong enum value fails', () => {
    const device = schema.entity('managedDevice');
    const good = [...emulator.tenant.devices()][0] as unknown as Record<string, unknown>;
    expect(device(good)).toBe(true);
    expect(device({ ...good, jailbroken: 'False' })).toBe(false);
    expect(device({ ...good, complianceState: 'nonCompliant' })).toBe(false);
    expect(device({ ...good, jailBroken: false })).toBe(false);
    expect(device({ ...good, lastSyncDateTime: 'yesterday' })).toBe(false);
    expect(device({ ...good, deviceActionResults: [{ actionName: 'wipe', actionState: 'finished' }] })).toBe(false);
    expect(schema.entity('user')({ id: 'x', accountEnabled: 'yes' })).toBe(false);
  });

  it('validates every managedDevices page, in full and with $select', async () => {
    const full = await allPages<Record<string, unknown>>(
      client,
      '/v1.0/deviceManagement/managedDevices?$top=40&$count=true',
    );
    expect(full.length).toBe(4);
    for (const page of full) expectValid(schema.page('managedDevice', deviceProperties), page);
    const selected = await allPages(
      client,
      '/v1.0/deviceManagement/managedDevices?$select=deviceName,complianceState,deviceActionResults',
    );
    for (const page of selected)
      expectValid(schema.page('managedDevice', ['id', 'deviceName', 'complianceState']), page);
  });

  it('validates a single device, plain and with the select-only properties', async () => {
    const id = [...emulator.tenant.devices()][3]?.id as string;
    await client.graph('POST', `/v1.0/deviceManagement/managedDevices/${id}/wipe`, { keepEnrollmentData: true });
    const plain = await client.graph('GET', `/v1.0/deviceManagement/managedDevices/${id}`);
    expectValid(schema.entity('managedDevice', deviceProperties), withoutContext(plain.body));
    const selected = await client.graph(
      'GET',
      `/v1.0/deviceManagement/managedDevices/${id}?$select=udid,iccid,notes,physicalMemoryInBytes,ethernetMacAddress,activationLockBypassCode`,
    );
    expectValid(schema.entity('managedDevice'), withoutContext(selected.body));
  });

  it('validates detectedApps and the devices of a detected app', async () => {
    const [apps] = await allPages<{ id: string }>(client, '/v1.0/deviceManagement/detectedApps?$count=true');
    expectValid(schema.page('detectedApp', schema.propertiesOf('detectedApp')), apps);
    const app = apps?.value[0] as { id: string };
    const single = await client.graph('GET', `/v1.0/deviceManagement/detectedApps/${app.id}`);
    expectValid(schema.entity('detectedApp', schema.propertiesOf('detectedApp')), withoutContext(single.body));
    for (const page of await allPages(client, `/v1.0/deviceManagement/detectedApps/${app.id}/managedDevices?$top=10`)) {
      expectValid(schema.page('managedDevice', deviceProperties), page);
    }
  });

  it('validates users pages (default properties and $select) and a single user', async () => {
    const pages = await allPages<{ id: string }>(client, '/v1.0/users?$top=50');
    for (const page of pages) expectValid(schema.page('user', USER_DEFAULT_PROPERTIES), page);
    const selected = await allPages(client, '/v1.0/users?$select=id,accountEnabled,department,createdDateTime');
    for (const page of selected) expectValid(schema.page('user', ['id', 'accountEnabled', 'department']), page);
    const userId = (pages[0] as GraphPage<{ id: string }>).value[0]?.id as string;
    const single = await client.graph('GET', `/v1.0/users/${userId}?$select=accountEnabled,userPrincipalName,mail`);
    expectValid(
      schema.entity('user', ['id', 'accountEnabled', 'userPrincipalName', 'mail']),
      withoutContext(single.body),
    );
    const devices = await allPages(client, `/v1.0/users/${userId}/managedDevices`);
    for (const page of devices) expectValid(schema.page('managedDevice', deviceProperties), page);
  });
});
