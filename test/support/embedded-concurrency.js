// Run by test/db/embedded-concurrency.test.ts in a plain Node process (PGlite cannot load inside jest's VM):
// opens the embedded database from the built code and hammers it with concurrent parameterized queries over
// several connections, then prints what it saw as one JSON line.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const pg = require('pg');
const { openDatabase } = require('../../dist/src/db');
const { createLogger } = require('../../dist/src/log');

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-embedded-'));
  const db = await openDatabase({ databaseUrl: null, dataDir, databasePoolMax: 4 }, createLogger('silent'));
  const other = new pg.Pool({ ...db.connection, max: 4 });
  const report = { wrong: [], errors: [], answered: 0 };
  try {
    const queries = Array.from({ length: 120 }, (_, i) => {
      // Different parameter counts and result shapes, so a mixed-up exchange cannot pass unnoticed.
      const width = 1 + (i % 6);
      const params = Array.from({ length: width }, (_, k) => i * 10 + k);
      const sql = `select ${params.map((_, k) => `$${k + 1}::int`).join(' + ')} as total, $1::int as first`;
      const run =
        i % 2 === 0
          ? db.knex.raw(sql.replace(/\$\d+/g, '?'), [...params, params[0]]) // knex numbers each ? itself
          : other.query(sql, params);
      const expected = { total: params.reduce((a, b) => a + b, 0), first: params[0] };
      return run.then(
        (result) => {
          report.answered++;
          const got = result.rows[0];
          if (got.total !== expected.total || got.first !== expected.first) report.wrong.push({ expected, got });
        },
        (error) => report.errors.push(error.message),
      );
    });
    await Promise.all(queries);
    // A failing query must not stall the others; a transaction keeps the session to its connection.
    const failing = other.query('select $1::int / 0 as boom', [1]).then(
      () => 'no error',
      (error) => error.message,
    );
    const transaction = db.knex.transaction(async (trx) => {
      await trx.raw('create temporary table if not exists t (n int)');
      await trx.raw('insert into t values (?), (?)', [1, 2]);
      return Number((await trx.raw('select sum(n) as s from t')).rows[0].s);
    });
    const meanwhile = other.query('select $1::text as echo', ['still here']);
    report.failing = await failing;
    report.transaction = await transaction;
    report.meanwhile = (await meanwhile).rows[0].echo;
  } finally {
    await other.end();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
