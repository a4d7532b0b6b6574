/**
 * The emulator's directory groups: seeded groups with stable ids per seed, $filter by display name (quotes
 * doubled as OData wants), $count only with ConsistencyLevel: eventual, GET by id, 404 for an unknown id, and a
 * second group with an existing name listed beside the first (names are not unique in a directory).
 */
import { type GraphEmulator, SEEDED_GROUPS } from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';

interface GroupPage {
  value: Array<{ id: string; displayName: string; securityEnabled: boolean }>;
  '@odata.count'?: number;
}

describe('Graph emulator groups', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 5, seed: 4 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  it('lists the seeded security groups, with the same ids for the same seed', async () => {
    const page = (await client.graph('GET', '/v1.0/groups')).body as GroupPage;
    expect(page.value.map((g) => g.displayName)).toEqual(SEEDED_GROUPS);
    expect(page.value.every((g) => g.securityEnabled)).toBe(true);
    const again = await startEmulator({ devices: 5, seed: 4 });
    try {
      expect(again.tenant.groups.byName('Sales')[0]!.id).toBe(emulator.tenant.groups.byName('Sales')[0]!.id);
    } finally {
      await again.stop();
    }
  });

  it('filters by display name, counts only with ConsistencyLevel, and gets one by id', async () => {
    const quoted = emulator.tenant.groups.add("O'Brien's team");
    const filter = encodeURIComponent("displayName eq 'O''Brien''s team'");
    const found = (await client.graph('GET', `/v1.0/groups?$filter=${filter}&$select=id,displayName`))
      .body as GroupPage;
    expect(found.value).toEqual([{ id: quoted.id, displayName: "O'Brien's team" }]);
    expectGraphError(await client.graph('GET', '/v1.0/groups?$count=true'), 400, 'Request_BadRequest');
    const counted = await client.graph('GET', '/v1.0/groups?$count=true', undefined, { ConsistencyLevel: 'eventual' });
    expect((counted.body as GroupPage)['@odata.count']).toBe(SEEDED_GROUPS.length + 1);
    const one = await client.graph('GET', `/v1.0/groups/${quoted.id}?$select=displayName`);
    expect(one.body).toMatchObject({ displayName: "O'Brien's team" });
    expectGraphError(
      await client.graph('GET', '/v1.0/groups/00000000-0000-4000-8000-000000000000'),
      404,
      'Request_ResourceNotFound',
    );
  });

  it('keeps two groups of the same name apart', async () => {
    emulator.tenant.groups.add('Finance');
    const filter = encodeURIComponent("displayName eq 'Finance'");
    const page = (await client.graph('GET', `/v1.0/groups?$filter=${filter}`)).body as GroupPage;
    expect(new Set(page.value.map((g) => g.id)).size).toBe(2);
  });
});
