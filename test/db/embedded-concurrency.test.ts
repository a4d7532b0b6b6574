// The embedded database under concurrent use, as the service and its worker use it: several pooled
// connections (knex's and agenda's) sending parameterized queries at once over the one PGlite session. Each
// answer must be its own query's (pglite-socket alone interleaves the exchanges: see src/db/pglite-queue.ts),
// a failing query must not stall the others, and a transaction keeps the session until it ends. PGlite cannot
// load inside jest, so the built code runs in a child process (test/support/embedded-concurrency.js).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('the embedded database with concurrent connections', () => {
  it('answers each concurrent parameterized query with its own result, past failures and transactions', () => {
    const script = path.resolve(__dirname, '../support/embedded-concurrency.js');
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 90_000 });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    expect(report).toEqual({
      wrong: [],
      errors: [],
      answered: 120,
      failing: 'division by zero',
      transaction: 3,
      meanwhile: 'still here',
    });
  }, 120_000);
});
