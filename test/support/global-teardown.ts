// Runs once after the suite: drops the template database.
import knexFactory from 'knex';
import { TEMPLATE_ENV, TEST_SERVER_URL } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) return;
  const server = knexFactory({ client: 'pg', connection: TEST_SERVER_URL, pool: { min: 0, max: 1 } });
  await server.raw(`drop database if exists "${template}" with (force)`);
  await server.destroy();
}
