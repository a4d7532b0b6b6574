// Where the test suite finds PostgreSQL, and names for the databases it creates there.
import { randomBytes } from 'node:crypto';

/** The server the suite creates its databases on (a maintenance database URL). */
export const TEST_SERVER_URL = process.env.WARDEN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(database: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The template database migrated once per run; global-setup names it and passes it to the workers. */
export const TEMPLATE_ENV = 'WARDEN_TEST_TEMPLATE_DB';

export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
