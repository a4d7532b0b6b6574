import type { DirectoryUser, GraphEmulator, ManagedDevice } from '../../../src/sim/graph';
import { allPages, EmulatorClient, expectGraphError, type GraphPage, startEmulator } from './helpers';

describe('the directory behind the fleet (/v1.0/users)', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 900, seed: 61 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });

  const directory = () => [...emulator.tenant.users()];

  it('pages users by 100 with the default property set, and $select adds accountEnabled', async () => {
    const pages = await allPages<Partial<DirectoryUser>>(client, '/v1.0/users');
    expect(pages.slice(0, -1).every((page) => page.value.length === 100)).toBe(true);
    expect(pages.flatMap((page) => page.value.map((user) => user.id))).toEqual(directory().map((user) => user.id));
    expect(Object.keys(pages[0]?.value[0] ?? {}).sort()).toEqual([
      'businessPhones',
      'displayName',
      'givenName',
      'id',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
    ]);
    const selected = (await client.graph('GET', '/v1.0/users?$select=accountEnabled,userPrincipalName&$top=999'))
      .body as GraphPage<DirectoryUser>;
    expect(Object.keys(selected.value[0] ?? {})).toEqual(['id', 'accountEnabled', 'userPrincipalName']);
    expect(selected.value).toHaveLength(Math.min(999, directory().length));
    expectGraphError(await client.graph('GET', '/v1.0/users?$top=1000'), 400, 'Request_BadRequest');
  });

  it('filters accountEnabled eq false to the disabled users', async () => {
    const disabled = directory().filter((user) => !user.accountEnabled);
    expect(disabled.length).toBeGreaterThan(0);
    const pages = await allPages<DirectoryUser>(
      client,
      '/v1.0/users?$filter=accountEnabled%20eq%20false&$select=id,accountEnabled',
    );
    const found = pages.flatMap((page) => page.value);
    expect(found.map((user) => user.id)).toEqual(disabled.map((user) => user.id));
    expect(found.every((user) => user.accountEnabled === false)).toBe(true);
    expectGraphError(
      await client.graph('GET', `/v1.0/users?$filter=${encodeURIComponent("city eq 'Paris'")}`),
      400,
      'Request_BadRequest',
    );
  });

  it('needs ConsistencyLevel: eventual for $count, like other directory queries', async () => {
    expectGraphError(await client.graph('GET', '/v1.0/users?$count=true'), 400, 'Request_BadRequest');
    const counted = await client.graph('GET', '/v1.0/users?$count=true&$top=1', undefined, {
      ConsistencyLevel: 'eventual',
    });
    expect((counted.body as GraphPage<DirectoryUser>)['@odata.count']).toBe(directory().length);
  });

  it('keeps devices of departed users enrolled: deleted users answer 404 and leave the list', async () => {
    const devices = [...emulator.tenant.devices()];
    const orphaned = devices.filter((device) => emulator.tenant.getUser(device.userId as string) === undefined);
    expect(orphaned.length).toBeGreaterThan(0);
    const gone = await client.graph('GET', `/v1.0/users/${orphaned[0]?.userId}`);
    const error = expectGraphError(gone, 404, 'Request_ResourceNotFound');
    expect(error.error.message).toContain(orphaned[0]?.userId as string);
    const listed = await client.graph(
      'GET',
      `/v1.0/deviceManagement/managedDevices/${orphaned[0]?.id}?$select=userId,managementState`,
    );
    expect(listed.body).toMatchObject({ userId: orphaned[0]?.userId, managementState: 'managed' });
  });

  it('reflects users disabled or deleted during the run', async () => {
    const [toDisable, toDelete] = directory().filter((user) => user.accountEnabled);
    emulator.tenant.disableUser(toDisable?.id as string);
    emulator.tenant.deleteUser(toDelete?.id as string);
    const disabled = await client.graph('GET', `/v1.0/users/${toDisable?.id}?$select=accountEnabled`);
    expect(disabled.body).toMatchObject({ id: toDisable?.id, accountEnabled: false });
    expectGraphError(await client.graph('GET', `/v1.0/users/${toDelete?.id}`), 404, 'Request_ResourceNotFound');
    const ids = (await allPages<DirectoryUser>(client, '/v1.0/users?$select=id&$top=999')).flatMap((p) =>
      p.value.map((u) => u.id),
    );
    expect(ids).toContain(toDisable?.id);
    expect(ids).not.toContain(toDelete?.id);
    const byUpn = await client.graph(
      'GET',
      `/v1.0/users/${encodeURIComponent(toDisable?.userPrincipalName as string)}`,
    );
    expect((byUpn.body as DirectoryUser).id).toBe(toDisable?.id);
  });

  it("lists a user's managed devices", async () => {
    const user = directory()[3] as DirectoryUser;
    const expected = [...emulator.tenant.devices()]
      .filter((device) => device.userId === user.id)
      .map((device) => device.id);
    const pages = await allPages<ManagedDevice>(
      client,
      `/v1.0/users/${user.id}/managedDevices?$select=id,userPrincipalName`,
    );
    const found = pages.flatMap((page) => page.value);
    expect(found.map((device) => device.id)).toEqual(expected);
    expect(found.every((device) => device.userPrincipalName === user.userPrincipalName)).toBe(true);
  });
});
