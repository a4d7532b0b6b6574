// The audit chain verified while other transactions append to it: the verification must judge the chain up to
// the head it read, not report the events committed after that read as a broken head.
import { appendAudit, verifyAuditChain } from '../../src/audit/store';
import { SYSTEM_ACTOR } from '../../src/auth/roles';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('verifyAuditChain under concurrent appends', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 1500; i++)
        await appendAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.seed', details: { i } });
    });
  }, 60_000);
  afterAll(() => db?.drop());

  it('answers intact every time while events keep being appended', async () => {
    let appending = true;
    let appended = 0;
    const appender = (async () => {
      while (appending) {
        await db.knex.transaction((trx) =>
          appendAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.append', details: { appended } }),
        );
        appended++;
      }
    })();
    const results = [];
    try {
      for (let i = 0; i < 8; i++) results.push(await verifyAuditChain(db.knex));
    } finally {
      appending = false;
      await appender;
    }
    expect(appended).toBeGreaterThan(8);
    expect(results.filter((r) => !r.intact).map((r) => r.firstBrokenLink)).toEqual([]);
    // Each verification checked the chain up to the head it read: at least the seeded events, and never more
    // than its own head.
    for (const result of results) expect(result.checkedEvents).toBe(result.head.seq);
    expect(results.at(-1)!.head.seq).toBeGreaterThan(1500);
  }, 60_000);
});
