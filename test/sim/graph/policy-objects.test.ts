/**
 * Policy objects over real HTTPS: create/read/patch/delete of each kind, targetApps and assign with
 * their differing status codes, the compliance block-action rule, body validation naming the property,
 * write stats, and an injected 429 on these routes. Every payload is checked against the schema.
 */
import { BLOCK_RULE_MESSAGE, type GraphEmulator, type PolicyKind } from '../../../src/sim/graph';
import { EmulatorClient, expectGraphError, startEmulator } from './helpers';
import {
  expectValidNavigationPage,
  expectValidPolicyEntity,
  expectValidPolicyPage,
  GROUP_ID,
  groupAssignment,
  newPolicyBody,
} from './policy-helpers';

const MAM = '/v1.0/deviceAppManagement';
const DM = '/v1.0/deviceManagement';

describe('Graph emulator policy objects', () => {
  let emulator: GraphEmulator;
  let client: EmulatorClient;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 20, seed: 5 });
    client = new EmulatorClient(emulator);
  });
  afterAll(async () => {
    await client.close();
    await emulator.stop();
  });
  afterEach(() => emulator.setFaults({ throttleRate: 0 }));

  async function create(kind: PolicyKind, path: string, type?: string): Promise<Record<string, unknown>> {
    const response = await client.graph('POST', path, newPolicyBody(kind, type));
    expect(response.status).toBe(201);
    expectValidPolicyEntity(kind, response.body);
    return response.body as Record<string, unknown>;
  }

  const cases: [PolicyKind, string, string | undefined][] = [
    ['androidManagedAppProtections', `${MAM}/androidManagedAppProtections`, undefined],
    ['iosManagedAppProtections', `${MAM}/iosManagedAppProtections`, undefined],
    ['deviceConfigurations', `${DM}/deviceConfigurations`, 'androidWorkProfileGeneralDeviceConfiguration'],
    ['deviceConfigurations', `${DM}/deviceConfigurations`, 'iosGeneralDeviceConfiguration'],
    ['deviceCompliancePolicies', `${DM}/deviceCompliancePolicies`, 'androidWorkProfileCompliancePolicy'],
    ['deviceCompliancePolicies', `${DM}/deviceCompliancePolicies`, 'iosCompliancePolicy'],
  ];

  it.each(cases)('creates, reads, patches and deletes %s (%s %s)', async (kind, path, type) => {
    const created = await create(kind, path, type);
    const id = created.id as string;
    expect(created).toMatchObject({ displayName: newPolicyBody(kind, type).displayName });
    expect(created.createdDateTime).toBe(created.lastModifiedDateTime);

    const read = await client.graph('GET', `${path}/${id}`);
    expect(read.status).toBe(200);
    expectValidPolicyEntity(kind, read.body);
    expect(read.body).toMatchObject({ id, version: created.version });

    const listed = await client.graph('GET', `${path}?$count=true`);
    expectValidPolicyPage(kind, listed.body);
    expect((listed.body as { value: { id: string }[] }).value.map((item) => item.id)).toContain(id);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const patch = { '@odata.type': created['@odata.type'], description: 'changed by Warden' };
    const patched = await client.graph('PATCH', `${path}/${id}`, patch);
    expect(patched).toMatchObject({ status: 204, body: undefined });
    const after = (await client.graph('GET', `${path}/${id}`)).body as Record<string, unknown>;
    expect(after.description).toBe('changed by Warden');
    expect(after.version).not.toEqual(created.version);
    expect(Date.parse(after.lastModifiedDateTime as string)).toBeGreaterThan(
      Date.parse(created.createdDateTime as string),
    );

    expect((await client.graph('DELETE', `${path}/${id}`)).status).toBe(204);
    expectGraphError(await client.graph('GET', `${path}/${id}`), 404, 'ResourceNotFound');
    expectGraphError(await client.graph('DELETE', `${path}/${id}`), 404, 'ResourceNotFound');
  });

  it('targets apps and assigns an Android app protection (both 204), with $expand and $select', async () => {
    const path = `${MAM}/androidManagedAppProtections`;
    const id = (await create('androidManagedAppProtections', path)).id as string;
    const apps = [
      {
        mobileAppIdentifier: {
          '@odata.type': '#microsoft.graph.androidMobileAppIdentifier',
          packageId: 'com.microsoft.office.outlook',
        },
      },
    ];
    const targeted = await client.graph('POST', `${path}/${id}/targetApps`, {
      apps,
      appGroupType: 'selectedPublicApps',
    });
    expect(targeted).toMatchObject({ status: 204, body: undefined });
    const assigned = await client.graph('POST', `${path}/${id}/assign`, { assignments: [groupAssignment()] });
    expect(assigned).toMatchObject({ status: 204, body: undefined });

    expect(emulator.tenant.policies.get('androidManagedAppProtections', id)?.appGroupType).toBe('selectedPublicApps');
    const listedApps = await client.graph('GET', `${path}/${id}/apps`);
    expectValidNavigationPage('managedMobileApp', listedApps.body);
    expect((listedApps.body as { value: unknown[] }).value).toEqual([
      expect.objectContaining({
        id: 'com.microsoft.office.outlook.android',
        mobileAppIdentifier: apps[0]?.mobileAppIdentifier,
      }),
    ]);
    const assignments = await client.graph('GET', `${path}/${id}/assignments`);
    expectValidNavigationPage('targetedManagedAppPolicyAssignment', assignments.body);
    expect((assignments.body as { value: unknown[] }).value).toEqual([
      { id: `${id}_${GROUP_ID}`, ...groupAssignment() },
    ]);

    const expanded = await client.graph('GET', `${path}/${id}?$expand=apps,assignments`);
    expectValidPolicyEntity('androidManagedAppProtections', expanded.body);
    expect(expanded.body).toMatchObject({
      isAssigned: true,
      deployedAppCount: 1,
      apps: [expect.anything()],
      assignments: [expect.anything()],
    });
    const page = await client.graph('GET', `${path}?$expand=apps,assignments&$select=displayName,screenCaptureBlocked`);
    expectValidPolicyPage('androidManagedAppProtections', page.body, false);
    const item = (page.body as { value: Record<string, unknown>[] }).value.find((entry) => entry.id === id);
    expect(Object.keys(item ?? {}).sort()).toEqual([
      '@odata.type',
      'apps',
      'assignments',
      'displayName',
      'id',
      'screenCaptureBlocked',
    ]);
  });

  it('targets iOS apps by bundleId and refuses an Android identifier there', async () => {
    const path = `${MAM}/iosManagedAppProtections`;
    const id = (await create('iosManagedAppProtections', path)).id as string;
    const ios = { '@odata.type': '#microsoft.graph.iosMobileAppIdentifier', bundleId: 'com.microsoft.Office.Outlook' };
    expect(
      (await client.graph('POST', `${path}/${id}/targetApps`, { apps: [{ mobileAppIdentifier: ios }] })).status,
    ).toBe(204);
    const apps = await client.graph('GET', `${path}/${id}/apps`);
    expect((apps.body as { value: { id: string }[] }).value[0]?.id).toBe('com.microsoft.Office.Outlook.ios');
    const android = { '@odata.type': '#microsoft.graph.androidMobileAppIdentifier', packageId: 'x' };
    const refused = await client.graph('POST', `${path}/${id}/targetApps`, {
      apps: [{ mobileAppIdentifier: android }],
    });
    expect(expectGraphError(refused, 400, 'BadRequest').error.message).toContain('apps[0].mobileAppIdentifier');
  });

  it.each([
    ['deviceConfigurations', `${DM}/deviceConfigurations`, 'deviceConfigurationAssignment'],
    ['deviceCompliancePolicies', `${DM}/deviceCompliancePolicies`, 'deviceCompliancePolicyAssignment'],
  ] as const)('assigns %s with 200 and the assignment collection', async (kind, path, assignmentType) => {
    const id = (await create(kind, path)).id as string;
    const everyone = { target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } };
    const response = await client.graph('POST', `${path}/${id}/assign`, { assignments: [groupAssignment(), everyone] });
    expect(response.status).toBe(200);
    expectValidNavigationPage(assignmentType, response.body);
    expect((response.body as { '@odata.context': string })['@odata.context']).toMatch(
      `#Collection(microsoft.graph.${assignmentType})`,
    );
    const listed = await client.graph('GET', `${path}/${id}/assignments`);
    expectValidNavigationPage(assignmentType, listed.body);
    expect((listed.body as { value: unknown[] }).value).toEqual((response.body as { value: unknown[] }).value);
    expect((listed.body as { value: { id: string }[] }).value.map((a) => a.id)).toEqual([
      `${id}_${GROUP_ID}`,
      `${id}_allLicensedUsersAssignmentTarget`,
    ]);
  });

  it('serves these routes inside $batch, with PATCH and DELETE', async () => {
    const path = `${DM}/deviceConfigurations`;
    const id = (await create('deviceConfigurations', path)).id as string;
    const requests = [
      {
        id: '1',
        method: 'PATCH',
        url: `/deviceManagement/deviceConfigurations/${id}`,
        body: { displayName: 'batched' },
        headers: { 'content-type': 'application/json' },
      },
      { id: '2', method: 'GET', url: `/deviceManagement/deviceConfigurations/${id}`, dependsOn: ['1'] },
      { id: '3', method: 'DELETE', url: `/deviceManagement/deviceConfigurations/${id}`, dependsOn: ['2'] },
    ];
    const response = await client.graph('POST', '/v1.0/$batch', { requests });
    const answers = (response.body as { responses: { id: string; status: number; body?: unknown }[] }).responses;
    const byId = new Map(answers.map((answer) => [answer.id, answer]));
    expect([byId.get('1')?.status, byId.get('2')?.status, byId.get('3')?.status]).toEqual([204, 200, 204]);
    expectValidPolicyEntity('deviceConfigurations', byId.get('2')?.body);
    expect(byId.get('2')?.body).toMatchObject({ displayName: 'batched' });
    expect(emulator.tenant.policies.get('deviceConfigurations', id)).toBeUndefined();
  });

  it('requires exactly one block action on a new compliance policy and lists the rules', async () => {
    const path = `${DM}/deviceCompliancePolicies`;
    const { scheduledActionsForRule: _, ...withoutRules } = newPolicyBody('deviceCompliancePolicies');
    const twoBlocks = {
      ...withoutRules,
      scheduledActionsForRule: [
        {
          ruleName: 'PasswordRequired',
          scheduledActionConfigurations: [{ actionType: 'block' }, { actionType: 'block', gracePeriodHours: 24 }],
        },
      ],
    };
    const onlyNotify = {
      ...withoutRules,
      scheduledActionsForRule: [{ ruleName: 'x', scheduledActionConfigurations: [{ actionType: 'notification' }] }],
    };
    for (const body of [withoutRules, twoBlocks, onlyNotify]) {
      const refused = await client.graph('POST', path, body);
      expect(expectGraphError(refused, 400, 'BadRequest').error.message).toContain(BLOCK_RULE_MESSAGE);
    }
    const id = (await create('deviceCompliancePolicies', path)).id as string;
    const rules = await client.graph('GET', `${path}/${id}/scheduledActionsForRule`);
    expectValidNavigationPage('deviceComplianceScheduledActionForRule', rules.body);
    expect((rules.body as { value: unknown[] }).value).toEqual([
      { id: expect.any(String), ruleName: 'PasswordRequired' },
    ]);
    const expanded = await client.graph(
      'GET',
      `${path}/${id}/scheduledActionsForRule?$expand=scheduledActionConfigurations`,
    );
    const rule = (expanded.body as { value: { scheduledActionConfigurations: unknown[] }[] }).value[0];
    expect(rule?.scheduledActionConfigurations).toEqual([
      {
        id: expect.any(String),
        actionType: 'block',
        gracePeriodHours: 0,
        notificationTemplateId: '',
        notificationMessageCCList: [],
      },
    ]);
  });
});
