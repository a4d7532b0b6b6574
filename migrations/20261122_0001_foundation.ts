// Foundation schema: API tokens, the hash-chained audit log, job run records, and agenda's job table.
import type { Knex } from 'knex';

/** The chain's first link points at this hash. */
export const GENESIS_HASH = '0'.repeat(64);

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('role').notNullable();
    t.text('token_hash').notNullable().unique();
    t.text('prefix').notNullable();
    t.text('created_by').notNullable();
    t.boolean('bootstrap').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
  });
  await knex.raw(`alter table api_tokens add constraint api_tokens_role_check
    check (role in ('admin', 'security-viewer', 'automation'))`);

  // The audit log. `seq` is assigned under the lock of audit_chain_head, so it has no gaps and every row's
  // prev_hash is the hash of the row before it. `details_digest` is what the chain covers, so personal data
  // in `details` can later be erased without breaking verification.
  await knex.schema.createTable('audit_events', (t) => {
    t.bigInteger('seq').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('actor_type').notNullable();
    t.text('actor_id');
    t.text('actor_name').notNullable();
    t.text('actor_role');
    t.text('action').notNullable();
    t.text('outcome').notNullable();
    t.text('target_type');
    t.text('target_id');
    t.text('request_id');
    t.jsonb('details').notNullable();
    t.text('details_digest').notNullable();
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable().unique();
    t.index(['occurred_at']);
    t.index(['action', 'seq']);
    t.index(['actor_id', 'seq']);
    t.index(['target_type', 'target_id', 'seq']);
  });
  await knex.raw(`alter table audit_events add constraint audit_events_outcome_check
    check (outcome in ('success', 'denied', 'failure'))`);

  await knex.schema.createTable('audit_chain_head', (t) => {
    t.boolean('singleton').primary().defaultTo(true);
    t.bigInteger('seq').notNullable();
    t.text('hash').notNullable();
  });
  await knex.raw('alter table audit_chain_head add constraint audit_chain_head_singleton check (singleton)');
  await knex('audit_chain_head').insert({ singleton: true, seq: 0, hash: GENESIS_HASH });

  // Append-only: updates, deletes and truncation are refused. Someone with the table owner's rights can still
  // disable the trigger, which is what GET /v1/audit/verify exists to catch.
  await knex.raw(`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
    end $$;
    create trigger audit_events_no_update before update or delete on audit_events
      for each row execute function audit_events_append_only();
    create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function audit_events_append_only();
  `);

  // One row per run of a scheduled job, whichever worker ran it.
  await knex.schema.createTable('job_runs', (t) => {
    t.bigIncrements('id');
    t.text('job_name').notNullable();
    t.text('worker').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.text('outcome').notNullable();
    t.jsonb('counts').notNullable().defaultTo('{}');
    t.text('error');
    t.index(['job_name', 'started_at']);
  });
  await knex.raw(`alter table job_runs add constraint job_runs_outcome_check
    check (outcome in ('running', 'succeeded', 'failed'))`);

  // agenda's table, as @agendajs/postgres-backend 3.0.6 defines it (frozen here: the backend runs with
  // ensureSchema off, because two workers creating it at the same moment race).
  await knex.raw(`
    create table agenda_jobs (
      id uuid primary key default gen_random_uuid(),
      name varchar(255) not null,
      priority integer not null default 0,
      next_run_at timestamptz,
      type varchar(10) not null default 'normal' check (type in ('normal', 'single')),
      locked_at timestamptz,
      last_finished_at timestamptz,
      failed_at timestamptz,
      fail_count integer default null,
      fail_reason text,
      repeat_timezone varchar(100),
      last_run_at timestamptz,
      repeat_interval varchar(255),
      data jsonb default '{}'::jsonb,
      repeat_at varchar(255),
      disabled boolean default false,
      progress real,
      fork boolean default false,
      last_modified_by varchar(255),
      debounce_started_at timestamptz,
      start_date timestamptz,
      end_date timestamptz,
      skip_days jsonb,
      created_at timestamptz default now(),
      updated_at timestamptz default now()
    );
    create index agenda_jobs_find_and_lock_idx on agenda_jobs (name, next_run_at, priority desc, locked_at, disabled)
      where disabled = false;
    create unique index agenda_jobs_single_job_idx on agenda_jobs (name) where type = 'single';
    create index agenda_jobs_locked_at_idx on agenda_jobs (locked_at) where locked_at is not null;
    create index agenda_jobs_next_run_at_idx on agenda_jobs (next_run_at) where next_run_at is not null;
    create function update_agenda_jobs_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at = now();
      return new;
    end $$;
    create trigger agenda_jobs_updated_at_trigger before update on agenda_jobs
      for each row execute function update_agenda_jobs_updated_at();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists agenda_jobs;
    drop function if exists update_agenda_jobs_updated_at();
    drop table if exists job_runs;
    drop table if exists audit_chain_head;
    drop table if exists audit_events;
    drop function if exists audit_events_append_only();
    drop table if exists api_tokens;
  `);
}
