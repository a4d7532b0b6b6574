// Who a data subject is in Warden's tables. A person is named by a user principal name (any case) or a directory
// (MDM) user id; the rows that name them directly (devices, directory users, actions asked for "every device of
// this user") give their other identifiers (a device holds both the principal name and the directory id), and
// the person is every row holding any of those. One step of widening only: it finds the directory id behind a
// principal name and the devices that recorded only one of the two, without chaining through renames into
// someone else's data.
import type { Knex } from 'knex';
import { isPseudonym, needlesOf, type PersonIdentifiers, pseudonymOf, Scrubber } from './scrub';

export interface Subject {
  /** The identifier the caller gave. */
  query: string;
  /** Its pseudonym: how audit events name the subject (never by the identifier itself). */
  reference: string;
  identifiers: PersonIdentifiers;
  /** Every pseudonym of the person: of the query, of their identifiers, and those an earlier erasure left. */
  pseudonyms: string[];
  /** Warden device ids whose user is the person (gone or not). */
  deviceIds: string[];
  /** Directory users (connection, id) that are the person. */
  directoryUsers: Array<{ connectionId: string; externalId: string }>;
  /** Remote action requests sent to the person's devices or asked for every device of theirs (offboardings too). */
  actionIds: string[];
  /** The pseudonym of an identifier (a pseudonym is its own). */
  pseudonym(identifier: string): string;
  /** Scrubs text and JSON of the person's identifiers (never of pseudonyms). */
  scrubber: Scrubber;
}

/** The database's pseudonym key (see migrations/20261122_0013_subject_pseudonyms.ts). */
export async function pseudonymKey(knex: Knex): Promise<Buffer> {
  const row = await knex('subject_pseudonym_key').first('key');
  if (!row) throw new Error('subject_pseudonym_key is empty: the database was not migrated');
  return Buffer.from(row.key as string, 'hex');
}

const lower = (values: Iterable<string>) => [...new Set([...values].map((v) => v.toLowerCase()))];

interface IdentityRow {
  upn: string | null;
  ext: string | null;
  display: string | null;
  email: string | null;
}

async function identityRows(knex: Knex, principalNames: string[], externalIds: string[]): Promise<IdentityRow[]> {
  const upns = lower(principalNames);
  const exts = lower(externalIds);
  const result = await knex.raw(
    `select user_principal_name as upn, user_external_id as ext, user_display_name as display, user_email as email
       from devices where lower(user_principal_name) = any(?::text[]) or lower(user_external_id) = any(?::text[])
     union
     select principal_name, external_id, display_name, null
       from directory_users where lower(principal_name) = any(?::text[]) or lower(external_id) = any(?::text[])
     union
     select case when target->>'user' like '%@%' then target->>'user' end,
            case when target->>'user' not like '%@%' then target->>'user' end, null, null
       from actions where lower(target->>'user') = any(?::text[]) or lower(target->>'user') = any(?::text[])`,
    [upns, exts, upns, exts, upns, exts],
  );
  return result.rows;
}

/**
 * Finds the person behind an identifier; `held` is false when no row names them. Run it in the transaction
 * that reads or changes the rows, so that what it found is what is read or changed.
 */
export async function findSubject(knex: Knex, query: string): Promise<{ subject: Subject; held: boolean }> {
  const key = await pseudonymKey(knex);
  const pseudonym = (identifier: string) => (isPseudonym(identifier) ? identifier : pseudonymOf(key, identifier));
  const reference = pseudonym(query);
  // Rows an earlier erasure left carry the pseudonym: they are found too (what remains of the person).
  const asked = [...new Set([query, reference])];
  const direct = await identityRows(knex, asked, asked);
  const principalNames = new Set<string>();
  const externalIds = new Set<string>();
  const add = (rows: IdentityRow[]) => {
    for (const row of rows) {
      if (row.upn) principalNames.add(row.upn);
      if (row.ext) externalIds.add(row.ext);
    }
  };
  add(direct);
  const widened = direct.length ? await identityRows(knex, [...principalNames], [...externalIds]) : [];
  add(widened);
  const rows = [...direct, ...widened];
  const real = (values: Iterable<string>) => [...new Set(values)].filter((v) => !isPseudonym(v)).sort();
  const identifiers: PersonIdentifiers = {
    principalNames: real(principalNames),
    externalIds: real(externalIds),
    emails: real(rows.map((r) => r.email).filter((e): e is string => !!e)),
    displayNames: real(rows.map((r) => r.display).filter((d): d is string => !!d)),
  };
  const upns = lower([...principalNames, reference]);
  const exts = lower([...externalIds, reference]);
  const devices: Array<{ id: string }> = await knex('devices')
    .where((q) =>
      q
        .whereRaw('lower(user_principal_name) = any(?::text[])', [upns])
        .orWhereRaw('lower(user_external_id) = any(?::text[])', [exts]),
    )
    .orderBy('id')
    .select('id');
  const directoryUsers: Array<{ connection_id: string; external_id: string }> = await knex('directory_users')
    .where((q) =>
      q
        .whereRaw('lower(principal_name) = any(?::text[])', [upns])
        .orWhereRaw('lower(external_id) = any(?::text[])', [exts]),
    )
    .orderBy(['connection_id', 'external_id'])
    .select('connection_id', 'external_id');
  const deviceIds = devices.map((d) => d.id);
  // Offboardings (POST /v1/offboarding) are stored as retire requests of the person's devices; a request for
  // "every device of this user" (POST /v1/actions with user) names them as its target.
  const actions: Array<{ id: string }> = await knex('actions as a')
    .where((q) =>
      q
        .whereExists(
          knex('device_actions as da')
            .select(knex.raw('1'))
            .whereRaw('da.action_id = a.id')
            .whereIn('da.device_id', deviceIds),
        )
        .orWhereRaw("lower(a.target->>'user') = any(?::text[])", [[...upns, ...exts]]),
    )
    .orderBy(['a.requested_at', 'a.id'])
    .select('a.id');
  const subject: Subject = {
    query,
    reference,
    identifiers,
    pseudonyms: [...new Set([reference, ...[...principalNames, ...externalIds].map(pseudonym)])].sort(),
    deviceIds,
    directoryUsers: directoryUsers.map((u) => ({ connectionId: u.connection_id, externalId: u.external_id })),
    actionIds: actions.map((a) => a.id),
    pseudonym,
    scrubber: new Scrubber(needlesOf(identifiers), pseudonym),
  };
  const held = deviceIds.length > 0 || directoryUsers.length > 0 || actions.length > 0;
  return { subject, held };
}

/** Whether rows still carry the pseudonym of this identifier: the person was erased before. */
export async function wasErased(knex: Knex, pseudonym: string): Promise<boolean> {
  const found = await knex.raw(
    `select exists (select 1 from devices where user_principal_name = :p or user_external_id = :p)
         or exists (select 1 from directory_users where principal_name = :p or external_id = :p)
         or exists (select 1 from audit_events where target_type = 'subject' and target_id = :p and action = 'subject.erase')
       as erased`,
    { p: pseudonym },
  );
  return found.rows[0].erased === true;
}
