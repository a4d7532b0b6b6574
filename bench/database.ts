// A throwaway, migrated PostgreSQL database for one benchmark run, dropped afterwards whatever happens.
import knexFactory from 'knex';
import { type Database, openDatabase } from '../src/db';
import { migrateToLatest } from '../src/db/migrate';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function withBenchDatabase<T>(prefix: string, work: (db: Database) => Promise<T>): Promise<T> {
  const name = `${prefix}_${process.pid}`;
  const server = knexFactory({ client: 'pg', connection: SERVER });
  await server.raw(`create database "${name}"`);
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '', databasePoolMax: 4 });
  try {
    await migrateToLatest(db.knex);
    return await work(db);
  } finally {
    await db.close();
    await server.raw(`drop database if exists "${name}" with (force)`);
    await server.destroy();
  }
}
