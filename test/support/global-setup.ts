// Runs once before the suite: checks that PostgreSQL answers, migrates a template database that every test
// file copies (CREATE DATABASE ... TEMPLATE is much faster than migrating per file), and compiles dist/ for
// the tests that run the real `warden` command in a child process.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import knexFactory from 'knex';
import { openDatabase } from '../../src/db';
import { migrateToLatest } from '../../src/db/migrate';
import { databaseUrl, TEMPLATE_ENV, TEST_SERVER_URL, uniqueDatabaseName } from './postgres';

export default async function globalSetup(): Promise<void> {
  const server = knexFactory({ client: 'pg', connection: TEST_SERVER_URL, pool: { min: 0, max: 1 } });
  try {
    await server.raw('select 1');
  } catch (error) {
    throw new Error(
      `The test suite needs PostgreSQL at ${TEST_SERVER_URL} (set WARDEN_TEST_DATABASE_URL to use another): ${(error as Error).message}`,
    );
  }
  const template = uniqueDatabaseName('warden_tpl');
  await server.raw(`create database "${template}"`);
  await server.destroy();

  const db = await openDatabase({ databaseUrl: databaseUrl(template), dataDir: '', databasePoolMax: 2 });
  await migrateToLatest(db.knex);
  await db.close();
  process.env[TEMPLATE_ENV] = template;

  // Type errors are the typecheck step's to report (CI runs it before the tests); tsc still emits the
  // JavaScript, which is all the CLI tests need.
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: path.resolve(__dirname, '../..'),
      stdio: 'pipe',
    });
  } catch (error) {
    process.stderr.write(
      `\nglobal-setup: tsc reported type errors (see npm run typecheck):\n${(error as { stdout?: Buffer }).stdout ?? ''}\n`,
    );
  }
}
