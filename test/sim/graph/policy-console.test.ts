/**
 * Policy objects, the rest of the contract: request bodies checked against the reference types (the
 * 400 names the property), paging with $expand carried over, an injected 429 and write stats on these
 * routes, and the tenant changed "in the console" in-process and through /_sim/policies.
 */
import type { GraphEmulator } from '../../../src/sim/graph';
import { allPages, EmulatorClient, expectGraphError, startEmulator } from './helpers';
import {
  expectValidPolicy,
  expectValidPolicyPage,
  GROUP_ID,
  groupAssignment,
  newPolicyBody,
  policySchema,
} from './policy-helpers';

const CONFIGS = '/v1.0/deviceManagement/deviceConfigurations';
const ANDROID_MAM = '/v1.0/deviceAppManagement/androidManagedAppProtections';

describe('Graph emulator policy objects: validation, faults, console changes', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 10, seed: 6 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });
  afterEach(() => emulator.setFaults({ throttleRate: 0 }));

  const android = () => newPolicyBody('deviceConfigurations');

  it.each([
    [
      'an unknown property',
      { ...android(), workProfileBlockEverything: true },
      "'workProfileBlockEverything' does not exist",
    ],
    ['a property of another type', { ...android(), iCloudBlockBackup: true }, "'iCloudBlockBackup' does not exist"],
    ['a wrong JSON type', { ...android(), workProfileBlockCamera: 'yes' }, "'workProfileBlockCamera'"],
    ['a bad enum member', { ...android(), workProfileDataSharingType: 'sometimes' }, "'workProfileDataSharingType'"],
    ['null for a non-nullable property', { ...android(), displayName: null }, "'displayName' cannot be null"],
    ['no @odata.type', { displayName: 'x' }, "'@odata.type'"],
    [
      'an abstract @odata.type',
      { '@odata.type': '#microsoft.graph.deviceConfiguration', displayName: 'x' },
      "'@odata.type'",
    ],
    [
      'a bad nested value',
      { ...newPolicyBody('deviceConfigurations', 'iosGeneralDeviceConfiguration'), compliantAppsList: [{ nom: 'x' }] },
      "'compliantAppsList[0].nom'",
    ],
  ])('answers 400 naming the property for %s', async (_, body, fragment) => {
    const response = await client.graph('POST', CONFIGS, body);
    expect(expectGraphError(response, 400, 'BadRequest').error.message).toContain(fragment);
    expect(emulator.tenant.policies.list('deviceConfigurations').filter((p) => p.displayName === 'x')).toEqual([]);
  });

  it('checks PATCH, assign and targetApps bodies the same way', async () => {
    const created = emulator.tenant.policies.create('deviceConfigurations', android());
    const url = `${CONFIGS}/${created.id}`;
    // Without @odata.type OData reads a PATCH as the set's declared (base) type.
    const untyped = await client.graph('PATCH', url, { workProfileBlockCamera: true });
    expect(expectGraphError(untyped, 400, 'BadRequest').error.message).toContain("'workProfileBlockCamera'");
    const typed = {
      '@odata.type': '#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration',
      workProfileBlockCamera: true,
    };
    expect((await client.graph('PATCH', url, typed)).status).toBe(204);
    expect((await client.graph('PATCH', url, { displayName: 'renamed' })).status).toBe(204);
    expect(emulator.tenant.policies.get('deviceConfigurations', created.id)).toMatchObject({
      workProfileBlockCamera: true,
      displayName: 'renamed',
      version: 3,
    });
    const badTarget = await client.graph('POST', `${url}/assign`, { assignments: [{ target: { groupId: GROUP_ID } }] });
    expect(expectGraphError(badTarget, 400, 'BadRequest').error.message).toContain("'assignments[0].target'");
    const extra = await client.graph('POST', `${url}/assign`, { assignments: [], force: true });
    expect(expectGraphError(extra, 400, 'BadRequest').error.message).toContain("'force'");
    const mam = emulator.tenant.policies.create(
      'androidManagedAppProtections',
      newPolicyBody('androidManagedAppProtections'),
    );
    const badGroup = await client.graph('POST', `${ANDROID_MAM}/${mam.id}/targetApps`, {
      apps: [],
      appGroupType: 'someApps',
    });
    expect(expectGraphError(badGroup, 400, 'BadRequest').error.message).toContain("'appGroupType'");
  });

  it('validates its own checks: the derived schema rejects an invented property', () => {
    const created = emulator.tenant.policies.create(
      'androidManagedAppProtections',
      newPolicyBody('androidManagedAppProtections'),
    );
    const { assignments: _a, apps: _b, appGroupType: _c, ...entity } = created;
    expect(() => expectValidPolicy('androidManagedAppProtections', entity)).not.toThrow();
    expect(() =>
      expectValidPolicy('androidManagedAppProtections', { ...entity, notificationRestriction: 'allow' }),
    ).toThrow(/schema violation/);
    expect(policySchema.entity('deviceConfigurationAssignment')({ id: 'a', target: { groupId: 'g' } })).toBe(false);
  });

  it('pages policy lists and keeps $expand on the nextLink', async () => {
    for (let index = 0; index < 5; index++) {
      const created = emulator.tenant.policies.create(
        'androidManagedAppProtections',
        newPolicyBody('androidManagedAppProtections'),
      );
      emulator.tenant.policies.assign('androidManagedAppProtections', created.id, [groupAssignment()]);
    }
    const pages = await allPages<Record<string, unknown>>(
      client,
      `${ANDROID_MAM}?$top=2&$expand=assignments&$count=true`,
    );
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expectValidPolicyPage('androidManagedAppProtections', page);
      for (const item of page.value) expect(Array.isArray(item.assignments)).toBe(true);
    }
    expect(pages.flatMap((page) => page.value).length).toBe(
      emulator.tenant.policies.count('androidManagedAppProtections'),
    );
  });

  it('throttles these routes with an injected 429 and counts only accepted writes', async () => {
    emulator.resetStats();
    emulator.setFaults({ throttleRate: 1, retryAfterSeconds: 3 });
    const throttled = await client.graph('POST', CONFIGS, android());
    expectGraphError(throttled, 429, 'TooManyRequests');
    expect(throttled.headers.get('retry-after')).toBe('3');
    expectGraphError(await client.graph('GET', `${ANDROID_MAM}?$top=1`), 429, 'TooManyRequests');
    emulator.setFaults({ throttleRate: 0 });
    const created = (await client.graph('POST', CONFIGS, android())).body as { id: string };
    await client.graph('POST', `${CONFIGS}/${created.id}/assign`, { assignments: [groupAssignment()] });
    await client.graph('PATCH', `${CONFIGS}/${created.id}`, { displayName: 'again' });
    const stats = emulator.stats();
    expect(stats.requests['POST /v1.0/deviceManagement/deviceConfigurations']).toEqual({ '201': 1, '429': 1 });
    expect(stats.writes).toEqual({
      'POST /v1.0/deviceManagement/deviceConfigurations': 1,
      'POST /v1.0/deviceManagement/deviceConfigurations/{id}/assign': 1,
      'PATCH /v1.0/deviceManagement/deviceConfigurations/{id}': 1,
    });
  });

  it('changes objects in-process, as an admin in the console would, and Graph shows it', async () => {
    const policies = emulator.tenant.policies;
    const created = policies.create('deviceCompliancePolicies', newPolicyBody('deviceCompliancePolicies'));
    policies.assign('deviceCompliancePolicies', created.id, [
      groupAssignment(),
      groupAssignment('b2b2b2b2-0000-4000-8000-000000000002'),
    ]);
    policies.update('deviceCompliancePolicies', created.id, {
      '@odata.type': created['@odata.type'],
      securityBlockJailbrokenDevices: false,
    });
    expect(policies.removeAssignment('deviceCompliancePolicies', created.id, GROUP_ID)).toBe(true);
    const url = `/v1.0/deviceManagement/deviceCompliancePolicies/${created.id}`;
    expect((await client.graph('GET', url)).body).toMatchObject({ securityBlockJailbrokenDevices: false, version: 4 });
    const assignments = (await client.graph('GET', `${url}/assignments`)).body as { value: { id: string }[] };
    expect(assignments.value.map((a) => a.id)).toEqual([`${created.id}_b2b2b2b2-0000-4000-8000-000000000002`]);
    expect(() => policies.update('deviceCompliancePolicies', created.id, { bogus: 1 })).toThrow(/'bogus'/);
    expect(policies.delete('deviceCompliancePolicies', created.id)).toBe(true);
    expect((await client.graph('GET', url)).status).toBe(404);
  });

  it('offers the same through /_sim/policies for other processes', async () => {
    const base = '/_sim/policies/iosManagedAppProtections';
    const created = await client.send('POST', base, { json: newPolicyBody('iosManagedAppProtections') });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const patched = await client.send('PATCH', `${base}/${id}`, { json: { faceIdBlocked: true } });
    expect(patched.body).toMatchObject({ faceIdBlocked: true, version: '"2"' });
    expect(
      (await client.send('PUT', `${base}/${id}/assignments`, { json: { assignments: [groupAssignment()] } })).status,
    ).toBe(200);
    expect((await client.send('DELETE', `${base}/${id}/assignments/${GROUP_ID}`)).status).toBe(204);
    expect(((await client.send('GET', `${base}/${id}`)).body as { assignments: unknown[] }).assignments).toEqual([]);
    expect(((await client.send('GET', base)).body as { value: { id: string }[] }).value.map((p) => p.id)).toContain(id);
    const invalid = await client.send('PATCH', `${base}/${id}`, { json: { faceIdBlocked: 'no' } });
    expect(expectGraphError(invalid, 400, 'BadRequest').error.message).toContain("'faceIdBlocked'");
    expect((await client.send('GET', '/_sim/policies/nonsense')).status).toBe(404);
    expect((await client.send('DELETE', `${base}/${id}`)).status).toBe(204);
    expect((await client.send('GET', `${base}/${id}`)).status).toBe(404);
  });
});
