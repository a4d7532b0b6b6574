// One database per test file, copied from the migrated template. The knex it returns is production's own
// (src/db), pointed at that database.
import knexFactory from 'knex';
import { type Database, openDatabase } from '../../src/db';
import { databaseUrl, TEMPLATE_ENV, TEST_SERVER_URL, uniqueDatabaseName } from './postgres';

export interface TestDatabase extends Database {
  name: string;
  url: string;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

async function onServer<T>(work: (server: ReturnType<typeof knexFactory>) => Promise<T>): Promise<T> {
  const server = knexFactory({ client: 'pg', connection: TEST_SERVER_URL, pool: { min: 0, max: 1 } });
  try {
    return await work(server);
  } finally {
    await server.destroy();
  }
}

/** An empty database (no migrations), for the migration tests. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = uniqueDatabaseName('warden_t');
  await onServer((server) => server.raw(`create database "${name}"`));
  return wrap(name);
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env[TEMPLATE_ENV];
  if (!template)
    throw new Error('the template database is missing: run the tests through jest (global-setup creates it)');
  const name = uniqueDatabaseName('warden_t');
  await onServer(async (server) => {
    // Copies from one template can collide ("source database is being accessed"): retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.raw(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return wrap(name);
}

async function wrap(name: string): Promise<TestDatabase> {
  const url = databaseUrl(name);
  const db = await openDatabase({ databaseUrl: url, dataDir: '', databasePoolMax: 5 });
  return {
    ...db,
    name,
    url,
    async drop() {
      await db.close();
      await onServer((server) => server.raw(`drop database if exists "${name}" with (force)`));
    },
  };
}
