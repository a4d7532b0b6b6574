// Posture evidence: one consistent snapshot of the posture summary, the current policies, the open findings and
// the audit chain (read in a single REPEATABLE READ read-only transaction, so the parts describe the same
// moment), serialised as canonical JSON and signed as a detached PKCS#7 that an auditor checks with openssl.
import type { Knex } from 'knex';
import { verifyAuditChain } from '../audit/store';
import { AppError } from '../errors';
import { type FindingView, listFindings } from '../findings/store';
import type { components } from '../http/api-types';
import { listPolicies, presentPolicyVersion } from '../policies/store';
import { canonicalJson } from '../util/canonical-json';
import type { EvidenceSigner } from './evidence-signer';
import { readPostureSummary } from './summary';

export type PostureEvidence = components['schemas']['PostureEvidence'];
export type EvidenceDocument = components['schemas']['PostureEvidenceDocument'];

const FINDINGS_PAGE = 5000;

function presentFinding(finding: FindingView): EvidenceDocument['findings'][number] {
  return {
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    deviceId: finding.deviceId,
    policy: finding.policy,
    connectionId: finding.connectionId,
    firstSeenAt: finding.firstSeenAt.toISOString(),
    lastSeenAt: finding.lastSeenAt.toISOString(),
    evidence: finding.evidence,
  };
}

/** Every open finding, newest first, through the findings store's pages (the same view GET /v1/findings gives). */
async function openFindings(trx: Knex): Promise<FindingView[]> {
  const all: FindingView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listFindings(trx, { status: 'open' }, { limit: FINDINGS_PAGE, cursor });
    all.push(...page.findings);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/**
 * Reads the document in one read-only REPEATABLE READ transaction: every query sees the same snapshot, so the
 * summary's counts, the findings listed and the audit head agree even while syncs and evaluations commit. Only
 * the transaction is used inside it (the embedded database has a single session).
 */
export async function readEvidenceDocument(knex: Knex): Promise<EvidenceDocument> {
  return knex.transaction(
    async (trx) => {
      const { rows } = await trx.raw('select now() as generated_at');
      const generatedAt: Date = rows[0].generated_at;
      const summary = await readPostureSummary(trx, { cacheMs: 0 });
      const policies = (await listPolicies(trx)).map(presentPolicyVersion);
      const findings = (await openFindings(trx)).map(presentFinding);
      const audit = await verifyAuditChain(trx);
      return {
        kind: 'warden-posture-evidence',
        formatVersion: 1,
        generatedAt: generatedAt.toISOString(),
        summary,
        policies,
        findings,
        audit,
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/** The signed evidence; a 503 problem saying how to configure signing when it is not. */
export async function createPostureEvidence(knex: Knex, signer: EvidenceSigner | null): Promise<PostureEvidence> {
  if (!signer) {
    throw new AppError(
      'evidence-signing-not-configured',
      'evidence signing is not configured: set WARDEN_EVIDENCE_CERT_FILE (PEM signer certificate, then any chain) ' +
        'and WARDEN_EVIDENCE_KEY_FILE (its RSA private key, PEM) and restart Warden',
    );
  }
  const document = canonicalJson(await readEvidenceDocument(knex));
  return {
    document,
    signature: signer.sign(Buffer.from(document, 'utf8')),
    signer: signer.info,
    verify: signer.verifyCommand(),
  };
}
