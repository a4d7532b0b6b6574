// Bad input, generated from the contract: for every operation of openapi/warden.yaml, fast-check breaks a valid
// request in one place (wrong types, missing and extra fields, oversized strings and arrays, injection-shaped and
// unicode-edge strings, edge numbers, malformed JSON, wrong content types and encodings, garbage path, query and
// header values, bad tokens, wrong methods) and sends it through the real HTTP API with an admin token. What it
// proves: no request is ever answered with a 5xx; a request the contract refuses (an oracle judges that from the
// schemas alone) is answered 4xx as problem+json whose `field` names the place that was broken, never 2xx; bodies
// over the size limit, protocol garbage and header injection are refused too; and refused requests leave every
// table as it was and write no audit event. Mutating operations (sync, actions, offboarding, apply) are only sent requests the contract
// refuses, so nothing reaches an MDM. Runs are reproducible: BAD_INPUT_SEED (default below) picks them,
// BAD_INPUT_RUNS sets the requests per operation, and a failure prints fast-check's seed and path to replay it.
// The counts go to test-artifacts/bad-input.json.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import { loadSpec, type SpecOperation } from '../../src/http/spec';
import { createCertificateAuthority, issueCertificate } from '../../src/sim/tls';
import { startTestApi, type TestApi } from '../support/api';
import {
  type Answer,
  badRequests,
  baseDraft,
  baseOf,
  type Draft,
  describeDraft,
  fingerprint,
  forceInvalid,
  hostileString,
  namesPlace,
  Oracle,
  percentEncode,
  type RawAnswer,
  send,
  sendRaw,
  type TableFingerprint,
  toWire,
  type Wire,
} from '../support/bad-input';
import { assertMatchesContract } from '../support/contract';

const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261122);
const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 200);
/**
 * Job bookkeeping, which the queue may touch on its own, and the audit log, which a legal read may append to (a
 * subject export is audited): the last test checks instead that no refused request wrote an audit event.
 */
const SKIP_TABLES = ['agenda_jobs', 'job_runs', 'audit_events', 'audit_chain_head'];
/** Authenticating records when a token was last used; that is the request being authenticated, not its input. */
const VOLATILE_COLUMNS = { api_tokens: ['last_used_at'] };
const ARTIFACT = path.join(__dirname, '..', '..', 'test-artifacts', 'bad-input.json');

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
  requestId: string;
}

type Verdict = 'valid' | 'refused' | NonNullable<Draft['proof']>;

interface Counts {
  requests: number;
  fiveXX: number;
  refused: number;
  validSent: number;
  forcedInvalid: number;
  skippedValid: number;
}
const newCounts = (): Counts => ({
  requests: 0,
  fiveXX: 0,
  refused: 0,
  validSent: 0,
  forcedInvalid: 0,
  skippedValid: 0,
});

const spec = loadSpec();
const operations = [...spec.operations.values()];
const methodsByPath = new Map<string, string[]>();
for (const op of operations)
  methodsByPath.set(op.path, [...(methodsByPath.get(op.path) ?? []), op.method.toUpperCase()]);

/** A distinct, reproducible seed per operation, derived from the suite's seed. */
function seedFor(name: string): number {
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return (SEED ^ hash) | 0;
}

const POLICY = {
  name: 'baseline',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp'] },
    encryptionRequired: { mode: 'alert' },
  },
};

describe('bad input generated from openapi/warden.yaml', () => {
  let api: TestApi;
  let oracle: Oracle;
  let before: Record<string, TableFingerprint>;
  let auditSeqBefore: number;
  /** The request ids of every request this suite expected to be refused. */
  const refusedRequestIds = new Set<string>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const started = Date.now();
  const total = newCounts();
  const byOperation: Record<string, Counts> = {};
  const byArm: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const failures: string[] = [];

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-bad-input-'));
    const ca = createCertificateAuthority('Bad Input Test Root');
    const signer = issueCertificate(ca, { commonName: 'Warden evidence signer', usage: 'signing' });
    fs.writeFileSync(path.join(dir, 'signer.pem'), signer.certPem);
    fs.writeFileSync(path.join(dir, 'signer-key.pem'), signer.keyPem, { mode: 0o600 });
    const { evidenceSigner } = loadConfig({
      WARDEN_EVIDENCE_CERT_FILE: path.join(dir, 'signer.pem'),
      WARDEN_EVIDENCE_KEY_FILE: path.join(dir, 'signer-key.pem'),
    });
    // Signing configured, so that the evidence route answers as in production instead of its documented 503; the
    // rate limiter runs (it reads every Authorization header) but with a limit this suite never reaches.
    api = await startTestApi({ config: { evidenceSigner, rateLimitPerMinute: 1_000_000 } });
    oracle = new Oracle(operations, api.config.bodyLimitBytes);
    // Rows to protect: a policy (with its version) and a second token.
    expect(
      (await api.request('PUT', '/v1/policies/baseline', { body: { policy: POLICY, reason: 'seed' } })).status,
    ).toBe(201);
    expect(
      (await api.request('POST', '/v1/tokens', { body: { name: 'bad-input-automation', role: 'automation' } })).status,
    ).toBe(201);
    before = await fingerprint(api.db.knex, SKIP_TABLES, VOLATILE_COLUMNS);
    auditSeqBefore = Number((await api.db.knex('audit_events').max({ seq: 'seq' }).first())?.seq ?? 0);
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    fs.writeFileSync(
      ARTIFACT,
      `${JSON.stringify(
        {
          seed: SEED,
          runsPerOperation: RUNS,
          operations: operations.filter((op) => byOperation[op.operationId]?.requests).length,
          operationsInContract: operations.length,
          requests: total.requests,
          fiveXX: total.fiveXX,
          refusedAsExpected: total.refused,
          validRequestsSent: total.validSent,
          forcedInvalid: total.forcedInvalid,
          skippedValid: total.skippedValid,
          durationMs: Date.now() - started,
          byStatus,
          byArm,
          byOperation,
          failures: failures.slice(0, 50),
        },
        null,
        2,
      )}\n`,
    );
    await api?.close();
  });

  const countFor = (operationId: string) => {
    byOperation[operationId] ??= newCounts();
    return byOperation[operationId]!;
  };

  function record(operationId: string, arm: string, status: number, verdict: Verdict | 'raw'): void {
    for (const counts of [total, countFor(operationId)]) {
      counts.requests++;
      if (status >= 500) counts.fiveXX++;
      if (verdict === 'valid') counts.validSent++;
      else if (status >= 400 && status < 500) counts.refused++;
    }
    byArm[arm] = (byArm[arm] ?? 0) + 1;
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  /** The log line of an unexpected error, to quote the cause of a 5xx. */
  const errorLogOf = (answer: Answer) => {
    const requestId = String(answer.headers['x-request-id'] ?? '');
    return api.logs.find((line) => line.includes(requestId) && line.includes('"level":"error"'))?.slice(0, 1500) ?? '';
  };

  function check(verdict: Verdict, places: string[], wire: Wire, draft: Draft, answer: Answer): void {
    if (verdict !== 'valid') refusedRequestIds.add(String(answer.headers['x-request-id']));
    const fail = (why: string) => {
      const message = `${why}\n  request: ${describeDraft(draft, wire)}\n  answer: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 600)}\n  ${errorLogOf(answer)}`;
      failures.push(message);
      throw new Error(message);
    };
    if (answer.status >= 500) fail('answered with a 5xx');
    if (answer.status === 431) {
      // Node's HTTP parser refuses a request head over 16 KiB before the API sees it (a long URL, say).
      const head = Buffer.byteLength(wire.path) + Object.entries(wire.headers).join('\r\n').length;
      if (head < 16 * 1024 - 256) fail('a 431 for a request head under 16 KiB');
      return;
    }
    try {
      assertMatchesContract(wire.method, wire.path.split('?')[0]!, answer);
    } catch (error) {
      fail(`the answer breaks the contract: ${(error as Error).message}`);
    }
    if (answer.headers['x-injected'] !== undefined || answer.headers['set-cookie'] !== undefined)
      fail('a header from the input was injected into the answer');
    if (answer.status >= 400) {
      if (answer.contentType !== 'application/problem+json') fail('a refusal that is not application/problem+json');
      const problem = answer.body as Problem;
      if (problem.status !== answer.status || !problem.type.startsWith('urn:warden:problem:'))
        fail('the problem does not match its status');
      if (problem.requestId !== answer.headers['x-request-id']) fail('the problem does not quote the request id');
      if (/\n\s+at /.test(answer.text)) fail('the answer carries a stack trace');
    }
    if (verdict === 'valid') return; // the contract admits it: any answer but a 5xx
    if (answer.status < 400 || answer.status >= 500) fail(`accepted a request the contract refuses (${verdict})`);
    const problem = answer.body as Problem;
    switch (verdict) {
      case 'unauthenticated':
        if (answer.status !== 401 || (problem.field !== undefined && problem.field !== 'header.authorization'))
          fail('a bad token must be a 401 (naming header.authorization when malformed)');
        break;
      case 'method-not-allowed': {
        const allow = String(answer.headers.allow ?? '');
        if (answer.status !== 405 || !allow || allow.split(/,\s*/).includes(wire.method))
          fail('a wrong method must be a 405 with an Allow header that leaves it out');
        break;
      }
      case 'unsupported-media-type':
        if (answer.status !== 415 || problem.field !== 'header.content-type')
          fail('a body that is not JSON must be a 415 naming header.content-type');
        break;
      case 'no-body-allowed':
        if (answer.status !== 400 || problem.field !== 'body')
          fail('a body where none is allowed must be a 400 naming body');
        break;
      case 'refused-any':
        break;
      case 'refused':
        if (![400, 413].includes(answer.status)) fail('an invalid request must be a 400 (or 413 when too large)');
        if (!namesPlace(problem.field, problem.detail, places))
          fail(`the problem must name the broken place (one of ${places.join(', ')})`);
        break;
    }
  }

  function verdictOf(operation: SpecOperation, draft: Draft): { verdict: Verdict; places: string[] } {
    if (draft.proof) return { verdict: draft.proof, places: draft.places };
    const judged = oracle.judge(operation, draft);
    if (judged.places.length === 0 && judged.locations.length === 0) return { verdict: 'valid', places: [] };
    const places = [...new Set([...draft.places, ...judged.places])];
    for (const location of judged.locations) {
      if (!places.some((p) => p === location || p.startsWith(`${location}.`) || p.startsWith(`${location}[`)))
        throw new Error(`the base request of ${operation.operationId} is invalid at ${location}: ${draft.note}`);
    }
    return { verdict: 'refused', places };
  }

  async function attempt(operation: SpecOperation, generated: Draft): Promise<void> {
    let draft = generated;
    let judged = verdictOf(operation, draft);
    const counts = countFor(operation.operationId);
    if (judged.verdict === 'valid' && operation.method !== 'get') {
      // A break the contract happens to admit (a hostile but legal reason, say): a mutation is only ever sent
      // once it is invalid somewhere, so add an unknown field and expect the refusal there.
      draft = forceInvalid(operation, draft);
      judged = verdictOf(operation, draft);
      counts.forcedInvalid++;
      total.forcedInvalid++;
      if (judged.verdict === 'valid') {
        counts.skippedValid++;
        total.skippedValid++;
        return;
      }
    }
    const wire = toWire(operation, draft, api.adminToken);
    let answer: Answer;
    try {
      answer = await send(api.url, wire, agent);
    } catch (error) {
      const message = `no answer (${(error as Error).message})\n  request: ${describeDraft(draft, wire)}`;
      failures.push(message);
      throw new Error(message);
    }
    record(operation.operationId, draft.arm, answer.status, judged.verdict);
    check(judged.verdict, judged.places, wire, draft, answer);
  }

  it('starts from a valid base request for every operation', () => {
    for (const operation of operations) {
      const draft = baseDraft({ operation }, baseOf(operation), 'base');
      expect({ operation: operation.operationId, ...oracle.judge(operation, draft) }).toEqual({
        operation: operation.operationId,
        places: [],
        locations: [],
      });
    }
  });

  it.each(operations.map((op) => op.operationId))(
    '%s: refuses every request the contract refuses, and never answers 5xx',
    async (operationId) => {
      const operation = spec.operations.get(operationId)!;
      const arbitrary = badRequests({ operation, methodsByPath, adminToken: api.adminToken }).map((draft) =>
        Object.assign(draft, {
          [fc.toStringMethod]: () => describeDraft(draft, toWire(operation, draft, api.adminToken)),
        }),
      );
      try {
        await fc.assert(
          fc.asyncProperty(arbitrary, (draft) => attempt(operation, draft)),
          { seed: seedFor(operationId), numRuns: RUNS },
        );
      } catch (error) {
        const cause = (error as Error).cause as Error | undefined;
        throw new Error(
          `${operationId} (suite seed ${SEED}; rerun with BAD_INPUT_SEED=${SEED}):\n${(error as Error).message}\n${cause?.message ?? ''}`,
        );
      }
      expect(countFor(operationId).refused).toBeGreaterThan(0);
    },
    180_000,
  );

  it('refuses bodies over the size limit with a 413 (or a 400 where no body is allowed)', async () => {
    const limit = api.config.bodyLimitBytes;
    const big = Buffer.from(`{"reason":"${'x'.repeat(limit + 16)}"}`);
    const bomb = zlib.gzipSync(Buffer.from(`{"reason":"${'x'.repeat(limit * 8)}"}`));
    const fresh = new http.Agent({ keepAlive: false });
    try {
      for (const operation of operations) {
        const base = baseOf(operation);
        const variants: Array<{ note: string; body: Buffer; chunked: boolean; encoding?: string }> = [
          { note: 'over the limit', body: big, chunked: false },
        ];
        if (operation.requestBody)
          variants.push(
            { note: 'over the limit, chunked', body: big, chunked: true },
            { note: 'a gzip bomb', body: bomb, chunked: false, encoding: 'gzip' },
          );
        for (const variant of variants) {
          const draft = baseDraft({ operation }, base, 'oversize-body');
          draft.note = variant.note;
          const wire = toWire(operation, draft, api.adminToken);
          wire.body = variant.body;
          wire.chunked = variant.chunked;
          wire.headers['content-type'] = 'application/json';
          if (variant.encoding) wire.headers['content-encoding'] = variant.encoding;
          const answer = await send(api.url, wire, fresh);
          const verdict: Verdict = operation.requestBody ? 'refused' : 'no-body-allowed';
          record(operation.operationId, 'oversize-body', answer.status, verdict);
          check(verdict, ['body'], wire, draft, answer);
          if (operation.requestBody) expect(answer.status).toBe(413);
        }
      }
    } finally {
      fresh.destroy();
    }
  }, 120_000);

  it('answers unknown paths with a 404 problem, whatever the method', async () => {
    const segment = fc
      .tuple(fc.oneof(hostileString, fc.string()), fc.constantFrom<'strict' | 'sub-delims'>('strict', 'sub-delims'))
      .map(([text, mode]) => `zz${percentEncode(text, mode, false)}`);
    const prefix = fc.constantFrom(
      '',
      '/v1',
      '/v1/tokens/9f1c7c7e-3b1a-4c5e-9d2f-0a1b2c3d4e5f',
      '/v1/policies/baseline',
    );
    await fc.assert(
      fc.asyncProperty(
        prefix,
        segment,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        async (at, last, method) => {
          const draft: Draft = {
            operationId: '(unrouted)',
            arm: 'unrouted',
            method,
            pathParams: {},
            query: '',
            headers: {},
            places: [],
            note: 'an unknown path',
          };
          const wire: Wire = {
            method,
            path: `${at}/${last}`,
            headers: { authorization: `Bearer ${api.adminToken}` },
            chunked: false,
          };
          const answer = await send(api.url, wire, agent);
          record('(unrouted)', 'unrouted', answer.status, 'refused-any');
          check('refused-any', [], wire, draft, answer);
          // 431: a segment so long that Node's HTTP parser refuses the request head (check() made sure it is).
          expect([404, 431]).toContain(answer.status);
        },
      ),
      { seed: seedFor('(unrouted)'), numRuns: RUNS },
    );
  }, 120_000);

  it('never answers protocol garbage or header injection with a 5xx, and reflects no injected header', async () => {
    const host = 'Host: 127.0.0.1\r\n';
    const auth = `Authorization: Bearer ${api.adminToken}\r\n`;
    const fixed = [
      `GET /v1/me HTTP/1.1\r\n${host}${auth}X-Request-Id: abc\r\nX-Injected: 1\r\nConnection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}${auth}X-Request-Id: a\u0000b\r\nConnection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}${auth}X-Request-Id: a\rb\r\nConnection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}${auth}X-Request-Id: a\r\n b\r\nConnection: close\r\n\r\n`,
      `POST /v1/tokens HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `POST /v1/tokens HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`,
      `POST /v1/tokens HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /v1/tokens HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `POST /v1/tokens HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`,
      `GARBAGE\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`,
      `GET http://evil.example/v1/me HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      `OPTIONS * HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}${auth}X-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      `GET /v1/audit?action=${'a'.repeat(20_000)} HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`.replace(/\r\n/g, '\n'),
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      `GET /v1/me\u0000 HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      `GET /v1/me HTTP/1.1\r\n${host}Authorization: Bearer ${api.adminToken}\u0000\r\nConnection: close\r\n\r\n`,
    ];
    const checkRaw = (answer: RawAnswer, sent: string) => {
      const where = JSON.stringify(sent.slice(0, 200));
      for (const status of answer.statuses) record('(protocol)', 'protocol', status, 'raw');
      if (answer.statuses.length === 0)
        throw new Error(`no answer to ${where} (${answer.timedOut ? 'timed out' : 'closed'}, ${answer.bytes} bytes)`);
      if (answer.statuses.some((status) => status >= 500)) throw new Error(`a ${answer.statuses} for ${where}`);
      if (answer.headers['x-injected'] !== undefined) throw new Error(`a header was injected by ${where}`);
      const requestId = answer.headers['x-request-id'];
      if (requestId !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId))
        throw new Error(`X-Request-Id ${JSON.stringify(requestId)} echoed from ${where}`);
    };
    for (const text of fixed) checkRaw(await sendRaw(api.url, Buffer.from(text, 'latin1')), text);

    // Header values with raw CR, LF and NUL, on operations of every kind (mutations get an invalid body too).
    const targets = operations.filter((op) => op.roles !== 'public' || op.method === 'get');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.constantFrom(
          'X-Request-Id',
          'If-Match',
          'Accept',
          'Content-Type',
          'X-Forwarded-For',
          'Cookie',
          'Authorization',
        ),
        hostileString,
        fc.constantFrom('\r\n', '\r\nX-Injected: 1\r\n', '\n', '\r', '\u0000', '\r\n\r\n', '\r\nContent-Length: 0\r\n'),
        async (operation, name, value, breaker) => {
          const headerValue = Buffer.from(`${value}${breaker}${value}`, 'utf8').toString('latin1');
          const target = toWire(operation, baseDraft({ operation }, baseOf(operation), 'protocol'), api.adminToken);
          // However the headers end up parsed, a mutation stays invalid: its query has an unknown parameter.
          const mutation = operation.method !== 'get';
          const requestTarget = mutation ? `${target.path}?zz-unknown=1` : target.path;
          const body = mutation ? '{"zzUnknown":true}' : '';
          const headers =
            target.headers.authorization && name !== 'Authorization'
              ? `Authorization: ${target.headers.authorization}\r\n`
              : '';
          const text =
            `${target.method} ${requestTarget} HTTP/1.1\r\n${host}${headers}${name}: ${headerValue}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
          checkRaw(await sendRaw(api.url, Buffer.from(text, 'latin1')), text);
        },
      ),
      { seed: seedFor('(protocol)'), numRuns: RUNS },
    );
  }, 120_000);

  it('left every table as it was (row counts and checksums), and audited no refused request', async () => {
    expect(total.requests).toBeGreaterThan(0);
    expect(await fingerprint(api.db.knex, SKIP_TABLES, VOLATILE_COLUMNS)).toEqual(before);
    const audited = await api.db
      .knex('audit_events')
      .where('seq', '>', auditSeqBefore)
      .select('seq', 'action', 'outcome', 'request_id');
    expect(audited.filter((event) => refusedRequestIds.has(event.request_id))).toEqual([]);
    // The only events a legal read may write: a subject export is audited.
    expect(audited.filter((event) => event.action !== 'subject.export')).toEqual([]);
  });
});
