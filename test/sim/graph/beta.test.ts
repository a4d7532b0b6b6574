/**
 * The emulator's beta endpoints: app protections carry their exemption lists there (and only there), on the
 * same objects v1.0 serves; PATCH replaces a list after checking its items; v1.0 answers stay schema-valid and
 * never show the list; other beta paths are unknown segments; the fault knobs apply to beta too.
 */
import type { GraphEmulator } from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';
import { expectValidPolicy, newPolicyBody } from './policy-helpers';

const V1 = '/v1.0/deviceAppManagement/androidManagedAppProtections';
const BETA = '/beta/deviceAppManagement/androidManagedAppProtections';
const WHATSAPP = { '@odata.type': '#microsoft.graph.keyValuePair', name: 'WhatsApp', value: 'com.whatsapp' };

describe('Graph emulator beta: app-protection exemption lists', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;
  let id: string;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 5, seed: 8 });
    client = new EmulatorClient(emulator);
    const created = await client.graph('POST', V1, newPolicyBody('androidManagedAppProtections'));
    id = (created.body as { id: string }).id;
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });
  afterEach(() => emulator.setFaults({ throttleRate: 0 }));

  it('starts with an empty list, replaced by PATCH and read back through beta only', async () => {
    expect((await client.graph('GET', `${BETA}/${id}`)).body).toMatchObject({ id, exemptedAppPackages: [] });
    const patched = await client.graph('PATCH', `${BETA}/${id}`, {
      '@odata.type': '#microsoft.graph.androidManagedAppProtection',
      exemptedAppPackages: [WHATSAPP, { name: 'Teams', value: 'com.microsoft.teams' }],
    });
    expect(patched.status).toBe(204);
    const listed = (await client.graph('GET', `${BETA}?$select=id,exemptedAppPackages`)).body as {
      value: Array<Record<string, unknown>>;
    };
    expect(listed.value).toEqual([
      {
        '@odata.type': '#microsoft.graph.androidManagedAppProtection',
        id,
        exemptedAppPackages: [
          WHATSAPP,
          { '@odata.type': '#microsoft.graph.keyValuePair', name: 'Teams', value: 'com.microsoft.teams' },
        ],
      },
    ]);
    const v1 = await client.graph('GET', `${V1}/${id}`);
    expect(v1.body).not.toHaveProperty('exemptedAppPackages');
    const { '@odata.context': _context, ...entity } = v1.body as Record<string, unknown>;
    expectValidPolicy('androidManagedAppProtections', entity);
  });

  it('refuses an item that is not a keyValuePair with a value, and unknown beta paths', async () => {
    const bad = await client.graph('PATCH', `${BETA}/${id}`, { exemptedAppPackages: [{ name: 'x' }] });
    expectGraphError(bad, 400, 'BadRequest');
    const unknown = await client.graph('GET', '/beta/deviceManagement/managedDevices');
    expect(unknown.status).toBe(400);
    const missing = await client.graph('GET', `${BETA}/00000000-0000-0000-0000-000000000000`);
    expect(missing.status).toBe(404);
  });

  it('throttles beta like v1.0', async () => {
    emulator.setFaults({ throttleRate: 1 });
    expectGraphError(await client.graph('GET', BETA), 429, 'TooManyRequests');
  });
});
