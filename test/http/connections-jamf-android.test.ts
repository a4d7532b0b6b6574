// /v1/connections for Jamf Pro and Android Management connections: each kind's settings and credentials are
// validated by the contract (a 400 problem naming the field), the credentials are sealed at rest exactly like
// Intune's and never answered, logged or audited (an answer shows only credentials.type), and GET shows the
// kind and settings.
import { createServiceAccountKey } from '../../src/sim/android';
import { startTestApi, type TestApi } from '../support/api';

const JAMF_SECRET = 'jamf-client-secret-do-not-leak-91c2';
const JAMF_SETTINGS = { baseUrl: 'https://contoso.jamfcloud.com' };
const JAMF_CREDENTIALS = { type: 'client-credentials', clientId: 'warden-api-client', clientSecret: JAMF_SECRET };

const KEY = createServiceAccountKey('contoso-amapi', 'https://oauth2.googleapis.com/token');
/** A line from the middle of the PEM: if any of the key leaks, this does. */
const KEY_FRAGMENT = KEY.private_key.split('\n')[5]!;
const ANDROID_SETTINGS = { enterpriseName: 'enterprises/LC04abcd12' };
const ANDROID_CREDENTIALS = { type: 'service-account', key: KEY };

interface ConnectionBody {
  id: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
  credentialStatus: string;
}
interface Problem {
  status: number;
  type: string;
  field: string;
  detail: string;
}

describe('/v1/connections of kind jamf and android', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const create = (body: Record<string, unknown>) =>
    api.request<ConnectionBody & Problem>('POST', '/v1/connections', { body });

  async function expectSealed(id: string, credentials: unknown, secretText: string) {
    const row = await api.db.knex('connections').where({ id }).first();
    expect(JSON.stringify(row)).not.toContain(secretText);
    expect(row.credentials_sealed).toMatch(/^v1:[0-9a-f]{12}:/);
    expect(JSON.parse(api.secretBox!.open(row.credentials_sealed, row.id))).toEqual(credentials);
    expect(() => api.secretBox!.open(row.credentials_sealed, 'another-connection')).toThrow();
  }

  it('creates a Jamf Pro connection: settings shown, client secret sealed and never answered', async () => {
    const created = await create({
      name: 'contoso-jamf',
      kind: 'jamf',
      settings: JAMF_SETTINGS,
      credentials: JAMF_CREDENTIALS,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'contoso-jamf',
      kind: 'jamf',
      settings: JAMF_SETTINGS,
      credentials: { type: 'client-credentials' },
      credentialStatus: 'unverified',
    });
    expect(created.body.credentials).toEqual({ type: 'client-credentials' });
    expect(created.text).not.toContain(JAMF_SECRET);
    await expectSealed(created.body.id, JAMF_CREDENTIALS, JAMF_SECRET);

    const audit = await api.db
      .knex('audit_events')
      .where({ action: 'connection.create', target_id: created.body.id })
      .first();
    expect(audit.details).toEqual({
      name: 'contoso-jamf',
      kind: 'jamf',
      settings: JAMF_SETTINGS,
      credentialType: 'client-credentials',
    });
  });

  it('creates an Android Management connection: the service account key sealed and never answered', async () => {
    const created = await create({
      name: 'contoso-android',
      kind: 'android',
      settings: ANDROID_SETTINGS,
      credentials: ANDROID_CREDENTIALS,
      syncIntervalMinutes: 30,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'android',
      settings: ANDROID_SETTINGS,
      credentials: { type: 'service-account' },
      syncIntervalMinutes: 30,
    });
    expect(created.body.credentials).toEqual({ type: 'service-account' });
    expect(created.text).not.toContain(KEY_FRAGMENT);
    expect(created.text).not.toContain(KEY.client_email);
    await expectSealed(created.body.id, ANDROID_CREDENTIALS, KEY_FRAGMENT);
  });

  it('lists and gets every kind with its settings, and no secret anywhere', async () => {
    const viewer = await api.tokenFor('security-viewer');
    const listed = await api.request<{ items: ConnectionBody[] }>('GET', '/v1/connections', { token: viewer });
    expect(listed.body.items.map((c) => [c.name, c.kind, c.credentials])).toEqual([
      ['contoso-android', 'android', { type: 'service-account' }],
      ['contoso-jamf', 'jamf', { type: 'client-credentials' }],
    ]);
    const android = listed.body.items[0]!;
    const one = await api.request<ConnectionBody>('GET', `/v1/connections/${android.id}`, { token: viewer });
    expect(one.body).toMatchObject({ kind: 'android', settings: ANDROID_SETTINGS });
    for (const text of [listed.text, one.text, api.logs.join('\n')]) {
      expect(text).not.toContain(JAMF_SECRET);
      expect(text).not.toContain(KEY_FRAGMENT);
    }
    const audit = JSON.stringify(await api.db.knex('audit_events'));
    expect(audit).not.toContain(JAMF_SECRET);
    expect(audit).not.toContain(KEY_FRAGMENT);
  });

  it.each([
    [
      'a Jamf client without its secret',
      { kind: 'jamf', settings: JAMF_SETTINGS, credentials: { type: 'client-credentials', clientId: 'c' } },
      'body.credentials.clientSecret',
    ],
    [
      'a Jamf server over http',
      { kind: 'jamf', settings: { baseUrl: 'http://jamf.example' }, credentials: JAMF_CREDENTIALS },
      'body.settings.baseUrl',
    ],
    ['a Jamf connection without settings', { kind: 'jamf', credentials: JAMF_CREDENTIALS }, 'body.settings'],
    [
      'an Intune credential on a Jamf connection',
      { kind: 'jamf', settings: JAMF_SETTINGS, credentials: { type: 'client-secret', clientSecret: 's' } },
      'body.credentials.type',
    ],
    [
      'an Android enterprise that is not enterprises/{id}',
      { kind: 'android', settings: { enterpriseName: 'LC04abcd12' }, credentials: ANDROID_CREDENTIALS },
      'body.settings.enterpriseName',
    ],
    [
      'an Android key without its private key',
      {
        kind: 'android',
        settings: ANDROID_SETTINGS,
        credentials: { type: 'service-account', key: { ...KEY, private_key: undefined } },
      },
      'body.credentials.key.private_key',
    ],
    [
      'an Android key that is not a service account key',
      {
        kind: 'android',
        settings: ANDROID_SETTINGS,
        credentials: { type: 'service-account', key: { ...KEY, type: 'authorized_user' } },
      },
      'body.credentials.key.type',
    ],
    [
      'an Android root URL over http',
      {
        kind: 'android',
        settings: { ...ANDROID_SETTINGS, rootUrl: 'http://androidmanagement.example/' },
        credentials: ANDROID_CREDENTIALS,
      },
      'body.settings.rootUrl',
    ],
    [
      'a Jamf setting on an Android connection',
      { kind: 'android', settings: { ...ANDROID_SETTINGS, baseUrl: 'https://x' }, credentials: ANDROID_CREDENTIALS },
      'body.settings.baseUrl',
    ],
    ['an MDM Warden does not know', { kind: 'workspace-one', settings: {}, credentials: { type: 'x' } }, 'body.kind'],
  ])('refuses %s with a 400 naming the field', async (_what, body, field) => {
    const refused = await create({ name: 'refused', ...body });
    expect(refused.status).toBe(400);
    expect(refused.contentType).toBe('application/problem+json');
    expect(refused.body.field).toBe(field);
    expect(refused.body.detail).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `));
    expect(refused.text).not.toContain(KEY_FRAGMENT);
    expect(refused.text).not.toContain(JAMF_SECRET);
    expect(await api.db.knex('connections').where({ name: 'refused' }).first()).toBeUndefined();
  });
});
