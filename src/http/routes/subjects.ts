// /v1/subjects: data protection requests about one person. The export (access) is one JSON document, the
// inventory part read in one snapshot and the audit events streamed after it; the erasure pseudonymises the
// person everywhere but in the audit log, which records it. Both are admin only: they reach a person's whole
// record, which reading posture and findings (security-viewer) or automating actions (automation) does not need.
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { appendAudit } from '../../audit/store';
import { AppError } from '../../errors';
import { eraseSubject } from '../../privacy/erase';
import { readSubject, type SubjectSnapshot, subjectAuditPage } from '../../privacy/export';
import type { components } from '../api-types';
import { exportFileName } from '../exports';
import type { RouteTable } from '../route';
import { presentAction } from './actions';
import { presentAuditEvent } from './audit';
import { presentDevice } from './devices';
import { presentFinding } from './findings';

type Schemas = components['schemas'];
const iso = (date: Date | null) => date?.toISOString() ?? null;
const AUDIT_PAGE = 1000;

/** Everything but the audit events, which are streamed after it. */
function presentSnapshot(snapshot: SubjectSnapshot): Omit<Schemas['SubjectExport'], 'auditEvents'> {
  const { subject } = snapshot;
  const change = (h: SubjectSnapshot['devices'][number]['history'][number]) => ({
    syncRunId: h.syncRunId,
    observedAt: h.observedAt.toISOString(),
    change: h.change,
    fields: h.fields,
  });
  return {
    kind: 'warden-subject-export',
    formatVersion: 1,
    generatedAt: snapshot.generatedAt.toISOString(),
    auditHeadSeq: snapshot.auditHeadSeq,
    subject: { query: subject.query, reference: subject.reference, ...subject.identifiers },
    directoryUsers: snapshot.directoryUsers.map((u) => ({
      ...u,
      firstSeenAt: u.firstSeenAt.toISOString(),
      changedAt: u.changedAt.toISOString(),
      deletedAt: iso(u.deletedAt),
    })),
    devices: snapshot.devices.map((d) => ({
      ...presentDevice(d.device),
      native: d.native,
      apps: d.apps.map((a) => ({ ...a, firstSeenAt: a.firstSeenAt.toISOString(), removedAt: iso(a.removedAt) })),
      history: d.history.map(change),
      findings: d.findings.map(presentFinding),
    })),
    formerDeviceHistory: snapshot.formerDeviceHistory.map((h) => ({ ...change(h), deviceId: h.deviceId })),
    actions: snapshot.actions.map(presentAction),
  };
}

/** The document, a chunk at a time: the snapshot, then the audit events a page at a time, then the end. */
async function* exportChunks(knex: Knex, snapshot: SubjectSnapshot): AsyncGenerator<string> {
  const head = JSON.stringify(presentSnapshot(snapshot));
  yield `${head.slice(0, -1)},"auditEvents":[`;
  let afterSeq = 0;
  let written = 0;
  for (;;) {
    const page = await subjectAuditPage(
      knex,
      snapshot.subject,
      { afterSeq, untilSeq: snapshot.auditHeadSeq },
      AUDIT_PAGE,
    );
    if (page.length > 0) {
      yield page.map((event) => (written++ === 0 ? '\n' : ',\n') + JSON.stringify(presentAuditEvent(event))).join('');
      afterSeq = page.at(-1)!.seq;
    }
    if (page.length < AUDIT_PAGE) break;
  }
  yield ']}';
}

export const subjectRoutes = {
  exportSubject: {
    roles: ['admin'],
    async handler({ input, deps, by }) {
      const { knex } = deps.db;
      const snapshot = await readSubject(knex, input.params.user);
      if (!snapshot.held) {
        throw new AppError(
          'not-found',
          `Warden holds nothing about ${input.params.user}: no device, directory user, action or audit event names ` +
            'this user principal name (any case) or directory user id',
          { field: 'path.user' },
        );
      }
      // Recorded before the first byte is sent: an export that fails part-way was still made.
      await knex.transaction((trx) =>
        appendAudit(trx, {
          actor: by.actor,
          action: 'subject.export',
          target: { type: 'subject', id: snapshot.subject.reference },
          requestId: by.requestId,
          details: {
            auditHeadSeq: snapshot.auditHeadSeq,
            directoryUsers: snapshot.directoryUsers.length,
            devices: snapshot.devices.length,
            formerDeviceHistory: snapshot.formerDeviceHistory.length,
            actions: snapshot.actions.length,
          },
        }),
      );
      return {
        status: 200,
        stream: Readable.from(exportChunks(knex, snapshot), { highWaterMark: 1 }),
        contentType: 'application/json',
        headers: {
          'Content-Disposition': `attachment; filename="${exportFileName(`subject-${snapshot.subject.reference}`, 'json')}"`,
        },
      };
    },
  },

  eraseSubject: {
    roles: ['admin'],
    auditAction: 'subject.erase',
    async handler({ input, deps, by }) {
      const result = await eraseSubject(deps.db.knex, input.params.user, input.body.reason, by);
      return { status: 200, body: { ...result, erasedAt: result.erasedAt.toISOString() } };
    },
  },
} satisfies RouteTable;
