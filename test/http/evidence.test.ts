// /v1/posture/evidence: a signed snapshot that the real openssl verifies (and refuses once a byte changes), whose
// findings, policies and audit head are what the database holds; unconfigured signing is a documented problem.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { evaluateFindings } from '../../src/findings/evaluate';
import type { components } from '../../src/http/api-types';
import { createSpecAjv } from '../../src/http/spec';
import { upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { createCertificateAuthority, issueCertificate } from '../../src/sim/tls';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

type Evidence = components['schemas']['PostureEvidence'];
type EvidenceDocument = components['schemas']['PostureEvidenceDocument'];
type Problem = { type: string; status: number; detail: string };

const POLICY = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['contoso'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp'] },
    encryptionRequired: { mode: 'alert' },
  },
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-evidence-http-'));
const ca = createCertificateAuthority('Evidence Test Root');
const signing = issueCertificate(ca, { commonName: 'Warden evidence signer', usage: 'signing' });
fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
fs.writeFileSync(path.join(dir, 'signer.pem'), signing.certPem);
fs.writeFileSync(path.join(dir, 'signer-key.pem'), signing.keyPem, { mode: 0o600 });
const keyBody = signing.keyPem.split('\n')[1]!;

/** Saves the evidence as an auditor would and runs the answer's own openssl command in that directory. */
function verifyWithOpenssl(evidence: Evidence, document: Buffer = Buffer.from(evidence.document, 'utf8')) {
  const work = fs.mkdtempSync(path.join(dir, 'verify-'));
  fs.copyFileSync(path.join(dir, 'ca.pem'), path.join(work, 'ca.pem'));
  fs.writeFileSync(path.join(work, 'evidence.json'), document);
  fs.writeFileSync(path.join(work, 'evidence.p7s'), evidence.signature);
  return spawnSync('sh', ['-c', evidence.verify], { cwd: work, encoding: 'utf8' });
}

describe('/v1/posture/evidence', () => {
  let api: TestApi;
  let viewer: string;
  let connectionId: string;
  let policy: { version: number; hash: string };

  beforeAll(async () => {
    const config = loadConfig({
      WARDEN_EVIDENCE_CERT_FILE: path.join(dir, 'signer.pem'),
      WARDEN_EVIDENCE_KEY_FILE: path.join(dir, 'signer-key.pem'),
    });
    api = await startTestApi({ config: { evidenceSigner: config.evidenceSigner } });
    viewer = await api.tokenFor('security-viewer');

    connectionId = await aConnection(api.db.knex, 'contoso');
    const saved = await api.request<{ version: number; hash: string }>('PUT', `/v1/policies/${POLICY.name}`, {
      body: { policy: POLICY, reason: 'keep WhatsApp out of the work profile' },
    });
    expect(saved.status).toBe(201);
    policy = saved.body;

    const run = await aSyncRun(api.db.knex, connectionId);
    const withWhatsApp = aDevice({ name: 'Zoë’s Pixel' });
    await upsertDevicePage(api.db.knex, connectionId, run, [
      withWhatsApp,
      aDevice({ name: 'unencrypted', encrypted: false }),
      aDevice({ name: 'jailbroken', platform: 'ios', enrollmentMode: 'user-enrollment', jailbroken: true }),
      aDevice({ name: 'clean' }),
    ]);
    await upsertAppHits(api.db.knex, connectionId, [
      {
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: 'WhatsApp',
        version: '2.24',
        scope: 'work-profile',
        deviceExternalId: withWhatsApp.externalId,
      },
    ]);
    await evaluateFindings(api.db.knex, { connectionId });
  });
  afterAll(() => api.close());

  it('answers a document that the real openssl verifies, and refuses once one byte changes', async () => {
    const answer = await api.request<Evidence>('GET', '/v1/posture/evidence', { token: viewer });
    expect(answer.status).toBe(200);
    const evidence = answer.body;
    expect(evidence.signature).toMatch(/^-----BEGIN PKCS7-----\n[\s\S]+\n-----END PKCS7-----\n$/);
    expect(evidence.verify).toBe(
      'openssl smime -verify -binary -inform PEM -in evidence.p7s -content evidence.json -CAfile ca.pem -out /dev/null',
    );
    expect(evidence.signer).toMatchObject({
      subject: 'CN=Warden evidence signer, O=Warden test PKI',
      issuer: 'CN=Evidence Test Root, O=Warden test PKI',
    });

    const verified = verifyWithOpenssl(evidence);
    expect(verified.stderr).toContain('Verification successful');
    expect(verified.status).toBe(0);

    const tampered = Buffer.from(evidence.document, 'utf8');
    const at = tampered.indexOf('"critical"') + 1;
    expect(at).toBeGreaterThan(0);
    tampered[at] = 'C'.charCodeAt(0); // "critical" -> "Critical"
    const refused = verifyWithOpenssl(evidence, tampered);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Verification failure/);
  });

  it('holds the open findings, the current policies and the audit head the database holds', async () => {
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    api.db.knex.on('query', record);
    const { body } = await api.request<Evidence>('GET', '/v1/posture/evidence', { token: viewer }).finally(() => {
      api.db.knex.off('query', record);
    });
    // Read in one snapshot, so the parts agree with each other.
    expect(statements).toContain('BEGIN TRANSACTION ISOLATION LEVEL repeatable read READ ONLY;');
    const document = JSON.parse(body.document) as EvidenceDocument;
    const validate = createSpecAjv().compile({
      $ref: 'https://warden.local/openapi/schemas#/$defs/PostureEvidenceDocument',
    });
    expect(validate(document)).toBe(true);
    expect(document).toMatchObject({ kind: 'warden-posture-evidence', formatVersion: 1 });

    const open = await api.db
      .knex('findings as f')
      .join('connections as c', 'c.id', 'f.connection_id')
      .whereNull('f.resolved_at')
      .select('f.*', api.db.knex.raw('greatest(f.last_seen_at, c.findings_evaluated_at) as seen_at'));
    expect(open.length).toBeGreaterThanOrEqual(3);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect([...document.findings].sort(byId)).toEqual(
      open
        .map((f) => ({
          id: f.id,
          rule: f.rule,
          severity: f.severity,
          deviceId: f.device_id,
          policy: f.policy_name,
          connectionId: f.connection_id,
          firstSeenAt: f.first_seen_at.toISOString(),
          lastSeenAt: f.seen_at.toISOString(),
          evidence: f.evidence,
        }))
        .sort(byId),
    );
    expect(document.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['blocked-messenger', 'unencrypted']));
    // The parts describe one moment: the summary counts the findings the document lists.
    expect(document.summary.findings.bySeverity.total).toBe(document.findings.length);

    expect(document.policies).toEqual([
      expect.objectContaining({ name: POLICY.name, version: policy.version, hash: policy.hash }),
    ]);

    const latest = await api.db.knex('audit_events').orderBy('seq', 'desc').first('seq', 'hash');
    expect(document.audit).toEqual({
      intact: true,
      checkedEvents: latest.seq,
      head: { seq: latest.seq, hash: latest.hash },
      firstBrokenLink: null,
    });
    expect(Date.parse(document.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reports a broken audit chain in the evidence it signs', async () => {
    await api.db.knex.transaction(async (trx) => {
      await trx.raw('alter table audit_events disable trigger audit_events_no_update');
      await trx.raw("update audit_events set action = 'policy.tampered' where seq = 1");
      await trx.raw('alter table audit_events enable trigger audit_events_no_update');
    });
    try {
      const { body } = await api.request<Evidence>('GET', '/v1/posture/evidence', { token: viewer });
      const document = JSON.parse(body.document) as EvidenceDocument;
      expect(document.audit).toMatchObject({ intact: false, firstBrokenLink: { seq: 1, reason: 'hash-mismatch' } });
      expect(verifyWithOpenssl(body).status).toBe(0);
    } finally {
      await api.db.knex.transaction(async (trx) => {
        await trx.raw('alter table audit_events disable trigger audit_events_no_update');
        await trx.raw("update audit_events set action = 'policy.create' where seq = 1");
        await trx.raw('alter table audit_events enable trigger audit_events_no_update');
      });
    }
  });

  it('admits admins and security viewers only', async () => {
    expect((await api.request('GET', '/v1/posture/evidence')).status).toBe(200);
    const refused = await api.request<Problem>('GET', '/v1/posture/evidence', {
      token: await api.tokenFor('automation'),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:warden:problem:forbidden');
    expect((await api.request('GET', '/v1/posture/evidence', { token: null })).status).toBe(401);
  });

  it('never shows the private key in answers or logs', async () => {
    const answer = await api.request('GET', '/v1/posture/evidence', { token: viewer });
    expect(answer.text).not.toContain(keyBody);
    expect(api.logs.join('\n')).not.toContain(keyBody);
    expect(JSON.stringify(api.config)).not.toContain(keyBody);
  });
});

describe('/v1/posture/evidence without signing configured', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers 503 evidence-signing-not-configured, saying how to configure it', async () => {
    const answer = await api.request<Problem>('GET', '/v1/posture/evidence');
    expect(answer.status).toBe(503);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body.type).toBe('urn:warden:problem:evidence-signing-not-configured');
    expect(answer.body.detail).toMatch(/WARDEN_EVIDENCE_CERT_FILE.*WARDEN_EVIDENCE_KEY_FILE/);
  });
});
