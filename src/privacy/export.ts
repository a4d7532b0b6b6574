// Access (GDPR art. 15): everything Warden holds about one person. The person's inventory (directory users,
// devices with their apps, history and findings, remote actions, offboardings among them) is small and is read in one
// REPEATABLE READ transaction, so its parts agree; the audit events about them can be many and are read
// afterwards in keyset pages up to the chain head that transaction saw (the log is append-only, so that is the
// same cut). No transaction stays open while a client downloads (on the embedded database one would hold every
// other query).
import type { Knex } from 'knex';
import { type ActionView, getAction } from '../actions/service';
import type { Actor, AuditOutcome, StoredEvent } from '../audit/chain';
import { type FindingView, listFindings } from '../findings/store';
import { type Device, type DeviceApp, type DeviceChange, getDevice } from '../inventory/devices';
import { isPseudonym, likeAnywhere } from './scrub';
import { findSubject, type Subject } from './subjects';

export interface DirectoryUserRecord {
  connectionId: string;
  externalId: string;
  principalName: string | null;
  displayName: string | null;
  enabled: boolean;
  firstSeenAt: Date;
  changedAt: Date;
  deletedAt: Date | null;
}

export interface SubjectDevice {
  device: Device;
  native: Record<string, unknown>;
  apps: DeviceApp[];
  /** Every recorded change, newest first. */
  history: DeviceChange[];
  findings: FindingView[];
}

/** A change of another device's record that names the person (a device that was theirs before). */
export interface FormerDeviceChange extends DeviceChange {
  deviceId: string;
}

export interface SubjectSnapshot {
  subject: Subject;
  generatedAt: Date;
  /** The last audit event the snapshot covers. */
  auditHeadSeq: number;
  directoryUsers: DirectoryUserRecord[];
  devices: SubjectDevice[];
  formerDeviceHistory: FormerDeviceChange[];
  actions: ActionView[];
  /** Whether any row, or any audit event up to the head, concerns the person. */
  held: boolean;
}

/** History fields that can name a device's user; of another device's change only those naming the person are kept. */
const USER_FIELDS = ['user_principal_name', 'user_external_id', 'name'];

async function allFindings(trx: Knex, deviceId: string): Promise<FindingView[]> {
  const findings: FindingView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listFindings(trx, { status: 'all', deviceId }, { limit: 500, cursor });
    findings.push(...page.findings);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return findings;
}

const historyOf = (row: Record<string, unknown>): DeviceChange => ({
  syncRunId: Number(row.sync_run_id),
  observedAt: row.observed_at as Date,
  change: row.change as DeviceChange['change'],
  fields: row.fields as DeviceChange['fields'],
});

/**
 * Of another device's change, the fields whose before or after value is the person's, with the other value
 * left out (null) when it is someone else's: an export tells the person about themselves, not about who had the
 * device next.
 */
function formerChange(subject: Subject, fields: Record<string, [unknown, unknown]>) {
  const mine = (value: unknown) => typeof value === 'string' && subject.scrubber.deviceName(value) !== value;
  const kept: Record<string, [unknown, unknown]> = {};
  for (const field of USER_FIELDS) {
    const pair = fields[field];
    if (!Array.isArray(pair) || !pair.some(mine)) continue;
    kept[field] = [mine(pair[0]) ? pair[0] : null, mine(pair[1]) ? pair[1] : null];
  }
  return Object.keys(kept).length ? kept : null;
}

/** Where the audit log mentions the person: as target, as actor, through their actions, or in details. */
function auditCondition(knex: Knex, subject: Subject) {
  // The identifier asked for counts too: after an erasure it is in no row, but a refused request may name it.
  const asked = isPseudonym(subject.query) ? [] : [subject.query];
  const real = [...subject.identifiers.principalNames, ...subject.identifiers.externalIds, ...asked];
  const ids = [...new Set(real.map((v) => v.toLowerCase()))];
  const references = subject.pseudonyms;
  const patterns = [...subject.scrubber.likePatterns(), ...[...asked, ...references].map(likeAnywhere)];
  return knex.raw(
    `((target_type = 'subject' and target_id = any(?::text[]))
      or (target_type = 'action' and target_id = any(?::text[]))
      or lower(actor_name) = any(?::text[])
      or details::text ilike any(?::text[]))`,
    [references, subject.actionIds, ids, patterns],
  );
}

/** The audit events about the person after `afterSeq`, up to `untilSeq`, oldest first. */
export async function subjectAuditPage(
  knex: Knex,
  subject: Subject,
  range: { afterSeq: number; untilSeq: number },
  limit: number,
): Promise<StoredEvent[]> {
  const rows = await knex('audit_events')
    .where('seq', '>', range.afterSeq)
    .where('seq', '<=', range.untilSeq)
    .where(auditCondition(knex, subject))
    .orderBy('seq')
    .limit(limit);
  return rows.map((row: Record<string, unknown>) => ({
    seq: Number(row.seq),
    occurredAt: row.occurred_at as Date,
    actor: {
      type: row.actor_type as Actor['type'],
      id: row.actor_id as string | null,
      name: row.actor_name as string,
      role: row.actor_role as string | null,
    },
    action: row.action as string,
    outcome: row.outcome as AuditOutcome,
    targetType: row.target_type as string | null,
    targetId: row.target_id as string | null,
    requestId: row.request_id as string | null,
    details: row.details as Record<string, unknown>,
    detailsDigest: row.details_digest as string,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  }));
}

export async function readSubject(knex: Knex, query: string): Promise<SubjectSnapshot> {
  return knex.transaction(
    async (trx) => {
      const [{ now }] = (await trx.raw('select now() as now')).rows;
      const head = await trx('audit_chain_head').first('seq');
      const { subject, held } = await findSubject(trx, query);
      const users = subject.directoryUsers.map((u) => [u.connectionId, u.externalId]);
      const directoryUsers: DirectoryUserRecord[] = (
        users.length
          ? await trx('directory_users')
              .whereIn(['connection_id', 'external_id'], users)
              .orderBy(['connection_id', 'external_id'])
          : []
      ).map((row: Record<string, unknown>) => ({
        connectionId: row.connection_id as string,
        externalId: row.external_id as string,
        principalName: row.principal_name as string | null,
        displayName: row.display_name as string | null,
        enabled: row.enabled as boolean,
        firstSeenAt: row.first_seen_at as Date,
        changedAt: row.changed_at as Date,
        deletedAt: row.deleted_at as Date | null,
      }));
      const devices: SubjectDevice[] = [];
      for (const id of subject.deviceIds) {
        const { device, apps, native } = await getDevice(trx, id);
        const history = (await trx('device_changes').where({ device_id: id }).orderBy('id', 'desc')).map(historyOf);
        devices.push({ device, native, apps, history, findings: await allFindings(trx, id) });
      }
      const patterns = subject.scrubber.likePatterns();
      const others = patterns.length
        ? (
            await trx.raw(
              `select * from device_changes
                where device_id <> all(?::uuid[])
                  and jsonb_exists_any(fields, array['user_principal_name', 'user_external_id', 'name'])
                  and fields::text ilike any(?::text[])
                order by id desc`,
              [subject.deviceIds, patterns],
            )
          ).rows
        : [];
      const formerDeviceHistory: FormerDeviceChange[] = [];
      for (const row of others) {
        const fields = formerChange(subject, row.fields);
        if (fields) formerDeviceHistory.push({ ...historyOf(row), fields, deviceId: row.device_id });
      }
      const actions: ActionView[] = [];
      for (const id of subject.actionIds) actions.push(await getAction(trx, id));
      const auditHeadSeq = Number(head?.seq ?? 0);
      const mentioned =
        held || formerDeviceHistory.length > 0
          ? true
          : (await subjectAuditPage(trx, subject, { afterSeq: 0, untilSeq: auditHeadSeq }, 1)).length > 0;
      return {
        subject,
        generatedAt: now as Date,
        auditHeadSeq,
        directoryUsers,
        devices,
        formerDeviceHistory,
        actions,
        held: mentioned,
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
