// /v1/audit and /v1/audit/verify: keyset pages and filters over the log, and a chain that names the row a
// person changed by hand.
import { startTestApi, type TestApi } from '../support/api';

interface AuditEventBody {
  seq: number;
  action: string;
  outcome: string;
  actor: { id: string | null; name: string };
  target: { type: string | null; id: string | null };
}
interface Page {
  items: AuditEventBody[];
  nextCursor: string | null;
}
interface Verification {
  intact: boolean;
  checkedEvents: number;
  head: { seq: number; hash: string };
  firstBrokenLink: { seq: number; reason: string; detail: string } | null;
}

describe('/v1/audit', () => {
  let api: TestApi;
  let viewer: string;

  /** Runs SQL that the append-only trigger would refuse, as a person with the owner's rights could. */
  const tamper = (sql: string, bindings: unknown[] = []) =>
    api.db.knex.transaction(async (trx) => {
      await trx.raw('alter table audit_events disable trigger audit_events_no_update');
      await trx.raw(sql, bindings as never[]);
      await trx.raw('alter table audit_events enable trigger audit_events_no_update');
    });

  const eventCount = async () => Number((await api.db.knex('audit_events').count({ n: '*' }).first())!.n);

  beforeAll(async () => {
    api = await startTestApi();
    viewer = await api.tokenFor('security-viewer');
    for (let i = 0; i < 7; i++)
      await api.request('POST', '/v1/tokens', { body: { name: `t${i}`, role: 'automation' } });
  });
  afterAll(() => api.close());

  it('pages newest first with an opaque cursor until the last page', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const page: { body: Page } = await api.request<Page>('GET', `/v1/audit${query}`, { token: viewer });
      seen.push(...page.body.items.map((e) => e.seq));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    const total = await eventCount();
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => total - i));
    expect(pages).toBe(Math.ceil(total / 3));
  });

  it('filters by action, outcome, actor, target and time', async () => {
    // Seven tokens created through the API by the admin, two (admin, viewer) by the test set-up through the CLI path.
    const created = await api.request<Page>('GET', '/v1/audit?action=token.create', { token: viewer });
    expect(created.body.items).toHaveLength(9);
    const denied = await api.request<Page>('GET', '/v1/audit?outcome=denied', { token: viewer });
    expect(denied.body.items).toHaveLength(0);
    const first = created.body.items.find((e) => e.actor.name === 'test-admin')!;
    const byTarget = await api.request<Page>('GET', `/v1/audit?targetType=token&targetId=${first.target.id}`, {
      token: viewer,
    });
    expect(byTarget.body.items.map((e) => e.seq)).toEqual([first.seq]);
    const byActor = await api.request<Page>('GET', `/v1/audit?actorId=${first.actor.id}`, { token: viewer });
    expect(byActor.body.items).toHaveLength(7);
    const future = await api.request<Page>('GET', `/v1/audit?since=${new Date(Date.now() + 60_000).toISOString()}`, {
      token: viewer,
    });
    expect(future.body.items).toEqual([]);
    const past = await api.request<Page>(
      'GET',
      `/v1/audit?until=${new Date(Date.now() + 60_000).toISOString()}&limit=2`,
      { token: viewer },
    );
    expect(past.body.items).toHaveLength(2);
  });

  it('refuses a cursor it did not issue, naming the parameter', async () => {
    const response = await api.request<{ field: string }>('GET', '/v1/audit?cursor=bm9wZQ', { token: viewer });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('query.cursor');
  });

  it('verifies an intact chain', async () => {
    const result = await api.request<Verification>('GET', '/v1/audit/verify', { token: viewer });
    const total = await eventCount();
    expect(result.body).toMatchObject({
      intact: true,
      checkedEvents: total,
      head: { seq: total },
      firstBrokenLink: null,
    });
  });

  it('names the row that was changed by hand, then the row that was deleted', async () => {
    await tamper("update audit_events set actor_name = 'someone-else' where seq = 4");
    const changed = await api.request<Verification>('GET', '/v1/audit/verify', { token: viewer });
    expect(changed.body).toMatchObject({ intact: false, firstBrokenLink: { seq: 4, reason: 'hash-mismatch' } });

    await tamper('update audit_events set details = \'{"name":"forged"}\' where seq = 2');
    const details = await api.request<Verification>('GET', '/v1/audit/verify', { token: viewer });
    expect(details.body.firstBrokenLink).toMatchObject({ seq: 2, reason: 'details-mismatch' });

    await tamper('delete from audit_events where seq = 1');
    const deleted = await api.request<Verification>('GET', '/v1/audit/verify', { token: viewer });
    expect(deleted.body.firstBrokenLink).toMatchObject({ seq: 1, reason: 'missing-event' });
  });

  it('notices the newest events deleted, through the recorded chain head', async () => {
    const fresh = await startTestApi();
    try {
      await fresh.request('POST', '/v1/tokens', { body: { name: 'a', role: 'automation' } });
      await fresh.request('POST', '/v1/tokens', { body: { name: 'b', role: 'automation' } });
      await fresh.db.knex.transaction(async (trx) => {
        await trx.raw('alter table audit_events disable trigger audit_events_no_update');
        await trx.raw('delete from audit_events where seq = (select max(seq) from audit_events)');
        await trx.raw('alter table audit_events enable trigger audit_events_no_update');
      });
      const result = await fresh.request<Verification>('GET', '/v1/audit/verify');
      expect(result.body).toMatchObject({
        intact: false,
        checkedEvents: 2,
        firstBrokenLink: { seq: 3, reason: 'missing-event' },
      });
    } finally {
      await fresh.close();
    }
  });
});
