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
      // At least 8 verifications, and on until 20 events were appended while they ran (however slow the machine).
      const deadline = Date.now() + 30_000;
      while ((results.length < 8 || appended < 20) && Date.now() < deadline)
        results.push(await verifyAuditChain(db.knex));
    } finally {
      appending = false;
      await appender;
    }
    expect(results.length).toBeGreaterThanOrEqual(8);
    expect(appended).toBeGreaterThanOrEqual(20);
    // The chain grew under the verifications: they did not all see the same head.
    expect(new Set(results.map((r) => r.head.seq)).size).toBeGreaterThan(1);
    expect(results.filter((r) => !r.intact).map((r) => r.firstBrokenLink)).toEqual([]);
    // Each verification checked the chain up to the head it read: at least the seeded events, and never more
    // than its own head.
    for (const result of results) expect(result.checkedEvents).toBe(result.head.seq);
    expect(results.at(-1)!.head.seq).toBeGreaterThan(1500);
  }, 60_000);
});
