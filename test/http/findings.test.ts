// /v1/findings: filters, keyset pages, status, and the contract of each finding.
import { evaluateFindings } from '../../src/findings/evaluate';
import { upsertDevicePage } from '../../src/inventory/store';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

interface FindingBody {
  id: string;
  rule: string;
  severity: string;
  status: string;
  device: { name: string };
}

describe('/v1/findings', () => {
  let api: TestApi;
  let viewer: string;
  beforeAll(async () => {
    api = await startTestApi();
    viewer = await api.tokenFor('security-viewer');
    const connectionId = await aConnection(api.db.knex, 'contoso');
    const run = await aSyncRun(api.db.knex, connectionId);
    await upsertDevicePage(api.db.knex, connectionId, run, [
      ...Array.from({ length: 7 }, (_, i) => aDevice({ name: `rooted-${i}`, jailbroken: true })),
      aDevice({ name: 'noncompliant', compliance: 'noncompliant' }),
      aDevice({ name: 'fine' }),
    ]);
    await evaluateFindings(api.db.knex);
  });
  afterAll(() => api.close());

  it('lists open findings newest first in keyset pages, filtered by rule and severity', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: FindingBody[]; nextCursor: string | null } } = await api.request(
        'GET',
        `/v1/findings?rule=jailbroken&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token: viewer },
      );
      seen.push(...page.body.items.map((f) => f.id));
      expect(
        page.body.items.every((f) => f.rule === 'jailbroken' && f.severity === 'critical' && f.status === 'open'),
      ).toBe(true);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(7);
    const medium = await api.request<{ items: FindingBody[] }>('GET', '/v1/findings?severity=medium', {
      token: viewer,
    });
    expect(medium.body.items.map((f) => [f.rule, f.device.name])).toEqual([['mdm-noncompliant', 'noncompliant']]);
  });

  it('shows resolved findings when asked', async () => {
    await api.db.knex('devices').where({ name: 'noncompliant' }).update({ compliance: 'compliant' });
    await evaluateFindings(api.db.knex);
    expect(
      (await api.request<{ items: FindingBody[] }>('GET', '/v1/findings?rule=mdm-noncompliant')).body.items,
    ).toEqual([]);
    const resolved = await api.request<{ items: FindingBody[] }>(
      'GET',
      '/v1/findings?rule=mdm-noncompliant&status=resolved',
    );
    expect(resolved.body.items.map((f) => f.status)).toEqual(['resolved']);
    expect(
      (await api.request<{ items: FindingBody[] }>('GET', '/v1/findings?status=all&limit=500')).body.items,
    ).toHaveLength(8);
  });

  it('names a bad filter', async () => {
    expect((await api.request<{ field: string }>('GET', '/v1/findings?rule=teleported')).body.field).toBe('query.rule');
    expect((await api.request<{ field: string }>('GET', '/v1/findings?cursor=zzz')).body.field).toBe('query.cursor');
  });
});
