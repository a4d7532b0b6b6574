// Opens the database: a real PostgreSQL from DATABASE_URL, or the embedded PGlite one. Either way the rest of
// Warden receives a knex instance over the `pg` driver and the plain connection settings that agenda's own pool
// needs, so the same SQL runs in both.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../log';
import { startEmbeddedPostgres } from './embedded';

// COUNT(*) and BIGINT arrive as strings by default; every such value Warden reads fits in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface Database {
  knex: Knex;
  /** Settings for a separate `pg.Pool` (agenda's). */
  connection: pg.PoolConfig;
  embedded: boolean;
  close(): Promise<void>;
}

function knexFor(connection: pg.PoolConfig, poolMax: number, log?: Logger): Knex {
  return knexFactory({
    client: 'pg',
    connection: connection as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
    // knex prints its warnings to the console by default; they belong in the structured log.
    log: log && {
      warn: (message: unknown) => log.warn({ knex: message }, 'database warning'),
      error: (message: unknown) => log.error({ knex: message }, 'database error'),
      deprecate: (method: string, alternative: string) => log.warn({ method, alternative }, 'knex deprecation'),
      debug: (message: unknown) => log.debug({ knex: message }, 'database debug'),
    },
  });
}

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolMax'>,
  log?: Logger,
): Promise<Database> {
  if (config.databaseUrl) {
    const connection: pg.PoolConfig = { connectionString: config.databaseUrl };
    const knex = knexFor(connection, config.databasePoolMax, log);
    return { knex, connection, embedded: false, close: () => knex.destroy() };
  }
  const embedded = await startEmbeddedPostgres(config.dataDir);
  const connection: pg.PoolConfig = {
    host: embedded.host,
    port: embedded.port,
    user: 'postgres',
    database: 'postgres',
  };
  // PGlite runs one statement at a time; a few connections suffice and keep the multiplexer's queue short.
  const knex = knexFor(connection, 4, log);
  return {
    knex,
    connection,
    embedded: true,
    async close() {
      await knex.destroy();
      await embedded.stop();
    },
  };
}
