// /v1/connections: credentials sealed at rest and never answered; validation names the credential field;
// no key, no credentials; a sync request queues a job and is audited.
import { startTestApi, type TestApi } from '../support/api';

const TENANT = { tenantId: 'contoso.example', clientId: '6731de76-14a6-49ae-97bc-6eba6914391e' };
const SECRET = 'app-secret-do-not-leak-7f3a';

interface ConnectionBody {
  id: string;
  name: string;
  credentials: { type: string };
  credentialStatus: string;
  lastSync: unknown;
  nextSyncAt: string | null;
}

describe('/v1/connections', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('creates a connection whose secret is sealed at rest and never answered, logged or audited', async () => {
    const created = await api.request<ConnectionBody>('POST', '/v1/connections', {
      body: {
        name: 'contoso',
        kind: 'intune',
        settings: TENANT,
        credentials: { type: 'client-secret', clientSecret: SECRET },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'contoso',
      credentials: { type: 'client-secret' },
      credentialStatus: 'unverified',
      lastSync: null,
    });
    expect(created.text).not.toContain(SECRET);

    const row = await api.db.knex('connections').where({ id: created.body.id }).first();
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(row.credentials_sealed).toMatch(/^v1:[0-9a-f]{12}:/);
    expect(JSON.parse(api.secretBox!.open(row.credentials_sealed, row.id))).toEqual({
      type: 'client-secret',
      clientSecret: SECRET,
    });
    expect(() => api.secretBox!.open(row.credentials_sealed, 'another-connection')).toThrow();

    const audit = await api.db.knex('audit_events').where({ action: 'connection.create' }).first();
    expect(audit.details).toEqual({
      name: 'contoso',
      kind: 'intune',
      settings: TENANT,
      credentialType: 'client-secret',
    });
    expect(JSON.stringify(await api.db.knex('audit_events'))).not.toContain(SECRET);
    expect(api.logs.join('\n')).not.toContain(SECRET);

    const listed = await api.request<{ items: ConnectionBody[] }>('GET', '/v1/connections', {
      token: await api.tokenFor('security-viewer'),
    });
    expect(listed.body.items.map((c) => c.name)).toEqual(['contoso']);
    expect(listed.text).not.toContain(SECRET);
  });

  it('names the credential field that is wrong', async () => {
    const missing = await api.request<{ field: string; detail: string }>('POST', '/v1/connections', {
      body: { name: 'x', kind: 'intune', settings: TENANT, credentials: { type: 'client-secret' } },
    });
    expect(missing.body).toMatchObject({
      field: 'body.credentials.clientSecret',
      detail: 'body.credentials.clientSecret: is required',
    });
    const unknownType = await api.request<{ field: string }>('POST', '/v1/connections', {
      body: { name: 'x', kind: 'intune', settings: TENANT, credentials: { type: 'password', password: 'p' } },
    });
    expect(unknownType.body.field).toBe('body.credentials.type');
    const badClient = await api.request<{ field: string }>('POST', '/v1/connections', {
      body: {
        name: 'x',
        kind: 'intune',
        settings: { ...TENANT, clientId: 'nope' },
        credentials: { type: 'client-secret', clientSecret: 's' },
      },
    });
    expect(badClient.body.field).toBe('body.settings.clientId');
    const httpAuthority = await api.request<{ field: string }>('POST', '/v1/connections', {
      body: {
        name: 'x',
        kind: 'intune',
        settings: { ...TENANT, authorityHost: 'http://login.example' },
        credentials: { type: 'client-secret', clientSecret: 's' },
      },
    });
    expect(httpAuthority.body.field).toBe('body.settings.authorityHost');
  });

  it('refuses a duplicate name with 409', async () => {
    const again = await api.request<{ status: number; field: string }>('POST', '/v1/connections', {
      body: { name: 'contoso', kind: 'intune', settings: TENANT, credentials: { type: 'managed-identity' } },
    });
    expect(again.body).toMatchObject({ status: 409, field: 'body.name' });
  });

  it('refuses to store credentials when no key is configured', async () => {
    const keyless = await startTestApi({ secretBox: null });
    try {
      const refused = await keyless.request<{ status: number; detail: string }>('POST', '/v1/connections', {
        body: {
          name: 'nokey',
          kind: 'intune',
          settings: TENANT,
          credentials: { type: 'client-secret', clientSecret: SECRET },
        },
      });
      expect(refused.body.status).toBe(409);
      expect(refused.body.detail).toMatch(/set WARDEN_SECRET_KEY/);
      expect(await keyless.db.knex('connections').count({ n: '*' }).first()).toEqual({ n: 0 });
    } finally {
      await keyless.close();
    }
  });

  it('queues a sync on request, answering 202 with the job id, and audits the request', async () => {
    const [connection] = (await api.request<{ items: ConnectionBody[] }>('GET', '/v1/connections')).body.items;
    const automation = await api.tokenFor('automation');
    const queued = await api.request<{ jobId: string; connectionId: string }>(
      'POST',
      `/v1/connections/${connection!.id}/sync`,
      { token: automation },
    );
    expect(queued.status).toBe(202);
    expect(queued.body.connectionId).toBe(connection!.id);
    const job = await api.db.knex('agenda_jobs').where({ id: queued.body.jobId }).first();
    expect(job).toMatchObject({ name: 'connection-sync', data: { connectionId: connection!.id, trigger: 'manual' } });
    const audit = await api.db.knex('audit_events').where({ action: 'connection.sync-request' }).first();
    expect(audit).toMatchObject({
      actor_role: 'automation',
      target_id: connection!.id,
      details: { jobId: queued.body.jobId },
    });

    const viewer = await api.request('POST', `/v1/connections/${connection!.id}/sync`, {
      token: await api.tokenFor('security-viewer'),
    });
    expect(viewer.status).toBe(403);
    const missing = await api.request('POST', '/v1/connections/0f8fad5b-d9cb-469f-a165-70867728950e/sync');
    expect(missing.status).toBe(404);
  });
});
