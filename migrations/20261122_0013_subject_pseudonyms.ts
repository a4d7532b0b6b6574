// Data protection: the key that turns a person's identifiers into stable pseudonyms when their data is erased
// (POST /v1/subjects/{user}/erase). One random 32-byte key, generated here once and never changed: the same
// identifier always maps to the same pseudonym, so an erasure can be repeated (or repeated after a sync brought
// the person back) and the rows it touched still join up. It is not derived from WARDEN_SECRET_KEY, which may be
// absent on PostgreSQL and is rotated (`warden keys rotate`); a rotation must not change pseudonyms.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subject_pseudonym_key', (t) => {
    t.boolean('singleton').primary().defaultTo(true);
    t.text('key').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('alter table subject_pseudonym_key add constraint subject_pseudonym_key_singleton check (singleton)');
  await knex('subject_pseudonym_key').insert({ singleton: true, key: randomBytes(32).toString('hex') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('subject_pseudonym_key');
}
