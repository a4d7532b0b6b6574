// The authorization matrix: every operation of openapi/warden.yaml x every credential state x every role,
// computed at test time from the loaded contract (src/http/spec.ts) and the route table (src/http/routes), so a
// new operation is covered the moment it exists. It proves that: public operations answer without a token; a
// protected operation answers 401 problem+json to a missing, malformed, unknown, expired or revoked token and
// 403 problem+json to a valid token of a role it does not admit (a refused mutation is audited as `denied`);
// an admitted role gets past authorization and never a 5xx; and refused requests change nothing in the
// database but the audit log and job bookkeeping.
import { randomBytes, randomUUID } from 'node:crypto';
import { CLI_ACTOR, isRole, ROLES, type Role } from '../../src/auth/roles';
import { createToken, revokeToken } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';
import type { RouteTable } from '../../src/http/route';
import { ROUTES } from '../../src/http/routes';
import {
  createSpecAjv,
  type JsonSchema,
  loadSpec,
  type RoleDeclaration,
  type SpecOperation,
  type SpecParameter,
} from '../../src/http/spec';
import { EvidenceSigner } from '../../src/posture/evidence-signer';
import { createCertificateAuthority, issueCertificate } from '../../src/sim/tls';
import { type ApiResponse, startTestApi, type TestApi } from '../support/api';

type Problem = { type: string; status: number; detail: string; field?: string };

const spec = loadSpec();
const OPERATIONS = [...spec.operations.values()];
const ajv = createSpecAjv({ coerceTypes: true });
const componentSchemas = (spec.document.components as { schemas: Record<string, JsonSchema> }).schemas;

/** A parameter's schema with a component `$ref` followed, to read its format, type, example or enum. */
function resolved(schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return resolved(componentSchemas[ref.slice(ref.lastIndexOf('/') + 1)] ?? {});
}

/** A value that satisfies the parameter's schema: uuid -> a random uuid, integer -> 1, string -> 'x'. */
function placeholder(operation: SpecOperation, parameter: SpecParameter): string {
  const schema = resolved(parameter.schema);
  const candidates: unknown[] = [];
  if (schema.example !== undefined) candidates.push(schema.example);
  if (Array.isArray(schema.enum)) candidates.push(schema.enum[0]);
  if (schema.format === 'uuid') candidates.push(randomUUID());
  if (schema.format === 'date-time') candidates.push(new Date().toISOString());
  if (schema.type === 'integer' || schema.type === 'number') candidates.push(1);
  candidates.push('x', 'x.js', 'x.css', 'x-1');
  const validate = ajv.compile(parameter.schema);
  const value = candidates.find((candidate) => validate(String(candidate)));
  if (value === undefined) {
    throw new Error(
      `${operation.operationId}: no placeholder satisfies the schema of ${parameter.in} parameter ${parameter.name}; give it an example`,
    );
  }
  return String(value);
}

/** The operation's path with its path parameters (and any required query parameters) filled in. */
function concretePath(operation: SpecOperation): string {
  let result = operation.path;
  const query = new URLSearchParams();
  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') result = result.replace(`{${parameter.name}}`, placeholder(operation, parameter));
    else if (parameter.in === 'query' && parameter.required)
      query.set(parameter.name, placeholder(operation, parameter));
  }
  return query.size > 0 ? `${result}?${query}` : result;
}

interface Target {
  operation: SpecOperation;
  id: string;
  method: string;
  path: string;
  /** `{}` for an operation that takes a JSON body; nothing otherwise (a body there is itself a 400). */
  body: Record<string, never> | undefined;
  isMutation: boolean;
  admits: readonly Role[] | 'public';
}

const TARGETS: Target[] = OPERATIONS.map((operation) => ({
  operation,
  id: operation.operationId,
  method: operation.method.toUpperCase(),
  path: concretePath(operation),
  body: operation.requestBody ? {} : undefined,
  isMutation: operation.method !== 'get',
  admits: operation.roles,
}));
const PROTECTED = TARGETS.filter((t) => t.admits !== 'public');
const PUBLIC = TARGETS.filter((t) => t.admits === 'public');

/** Tokens of every role, and tokens that must not authenticate; filled in beforeAll. */
interface Credentials {
  valid: Record<Role, { secret: string; tokenId: string }>;
  expired: string;
  revoked: string;
  unknown: string;
}

type FailedCredential = 'no token' | 'malformed header' | 'unknown token' | 'expired token' | 'revoked token';
const FAILED_CREDENTIALS: { state: FailedCredential; detail: RegExp; field?: string }[] = [
  { state: 'no token', detail: /send an API token/ },
  { state: 'malformed header', detail: /must be "Bearer <token>"/, field: 'header.authorization' },
  { state: 'unknown token', detail: /not recognised/ },
  { state: 'expired token', detail: /expired/ },
  { state: 'revoked token', detail: /revoked/ },
];

function authorization(credentials: Credentials, state: FailedCredential | Role): string | undefined {
  switch (state) {
    case 'no token':
      return undefined;
    case 'malformed header':
      return `Token ${credentials.unknown}`;
    case 'unknown token':
      return `Bearer ${credentials.unknown}`;
    case 'expired token':
      return `Bearer ${credentials.expired}`;
    case 'revoked token':
      return `Bearer ${credentials.revoked}`;
    default:
      return `Bearer ${credentials.valid[state].secret}`;
  }
}

const title = (target: Target, state: string) =>
  `${target.id} (${target.method} ${target.operation.path}) with ${state}`;

const unauthenticatedCases = PROTECTED.flatMap((target) =>
  FAILED_CREDENTIALS.map((failure) => ({ name: title(target, failure.state), target, ...failure })),
);
const forbiddenCases = PROTECTED.flatMap((target) =>
  ROLES.filter((role) => !(target.admits as readonly Role[]).includes(role)).map((role) => ({
    name: title(target, `a valid ${role} token`),
    target,
    role,
  })),
);
const admittedCases = PROTECTED.flatMap((target) =>
  (target.admits as readonly Role[]).map((role) => ({ name: title(target, `a valid ${role} token`), target, role })),
);
const publicCases = PUBLIC.flatMap((target) =>
  [...FAILED_CREDENTIALS.map((f) => f.state), ...ROLES].map((state) => ({
    name: title(target, isRole(state) ? `a valid ${state} token` : state),
    target,
    state,
  })),
);

/** Tables whose rows a refused request may legitimately add or change: the audit log and job bookkeeping. */
const BOOKKEEPING = new Set([
  'audit_events',
  'audit_chain_head',
  'job_runs',
  'agenda_jobs',
  'knex_migrations',
  'knex_migrations_lock',
]);

describe('authorization matrix', () => {
  let api: TestApi;
  let credentials: Credentials;
  let sequence = 0;

  beforeAll(async () => {
    const ca = createCertificateAuthority('Authz Matrix Root');
    const signing = issueCertificate(ca, { commonName: 'Warden evidence signer', usage: 'signing' });
    // No token cache: what the database says about a token is what the next request sees. No rate limit (where
    // the service has one): it answers before authentication, and this file sends a few hundred requests.
    const {
      databaseUrl: _url,
      port: _port,
      logLevel: _level,
      ...tuned
    } = loadConfig({
      WARDEN_TOKEN_CACHE_MS: '0',
      WARDEN_RATE_LIMIT_PER_MINUTE: '0',
    });
    api = await startTestApi({
      config: { ...tuned, evidenceSigner: EvidenceSigner.fromPem(signing.certPem, signing.keyPem) },
    });
    expect(api.config.tokenCacheMs).toBe(0);
    const by = { actor: CLI_ACTOR };
    const valid = {} as Credentials['valid'];
    for (const role of ROLES) {
      const { token, secret } = await createToken(api.db.knex, { name: `matrix-${role}`, role }, by);
      valid[role] = { secret, tokenId: token.id };
    }
    const expired = await createToken(api.db.knex, { name: 'matrix-expired', role: 'admin' }, by);
    await api.db
      .knex('api_tokens')
      .where({ id: expired.token.id })
      .update({ expires_at: new Date(Date.now() - 60_000) });
    const revoked = await createToken(api.db.knex, { name: 'matrix-revoked', role: 'admin' }, by);
    await revokeToken(api.db.knex, revoked.token.id, by);
    credentials = {
      valid,
      expired: expired.secret,
      revoked: revoked.secret,
      unknown: `wdn_${randomBytes(32).toString('base64url')}`,
    };
  });
  afterAll(() => api.close());

  /** Sends the target's request with the given credential state and a request id unique to this case. */
  async function send(target: Target, state: FailedCredential | Role): Promise<ApiResponse<Problem> & { id: string }> {
    const id = `authz-${++sequence}-${target.id}`;
    const header = authorization(credentials, state);
    const response = await api.request<Problem>(target.method, target.path, {
      token: null,
      body: target.body,
      headers: { 'x-request-id': id, ...(header ? { authorization: header } : {}) },
    });
    return { ...response, id };
  }

  it('covers every operation of the contract and of the route table, with every role and credential state', () => {
    const routes = ROUTES as RouteTable;
    const contractIds = [...spec.operations.keys()].sort();
    expect(Object.keys(routes).sort()).toEqual(contractIds);
    const covered = new Set([...unauthenticatedCases, ...publicCases].map((c) => c.target.id));
    expect(covered.size).toBe(spec.operations.size);
    expect([...covered].sort()).toEqual(contractIds);
    expect(PROTECTED.length + PUBLIC.length).toBe(spec.operations.size);
    expect(unauthenticatedCases).toHaveLength(PROTECTED.length * FAILED_CREDENTIALS.length);
    expect(forbiddenCases.length + admittedCases.length).toBe(PROTECTED.length * ROLES.length);
    expect(publicCases).toHaveLength(PUBLIC.length * (FAILED_CREDENTIALS.length + ROLES.length));
    for (const target of TARGETS) {
      const route = routes[target.id as keyof RouteTable]!;
      // The route table and the contract declare the same roles (buildDispatch refuses otherwise: belt and braces).
      const sorted = (roles: RoleDeclaration) => (roles === 'public' ? roles : [...roles].sort());
      expect({ id: target.id, roles: sorted(route.roles) }).toEqual({ id: target.id, roles: sorted(target.admits) });
      if (target.isMutation && target.admits !== 'public') {
        expect({ id: target.id, auditAction: typeof route.auditAction }).toEqual({
          id: target.id,
          auditAction: 'string',
        });
      }
    }
  });

  it("declares roles that keep the README's promises: admin may do everything, security-viewer changes nothing", () => {
    expect(PROTECTED.filter((t) => !(t.admits as readonly Role[]).includes('admin')).map((t) => t.id)).toEqual([]);
    expect(
      PROTECTED.filter((t) => t.isMutation && (t.admits as readonly Role[]).includes('security-viewer')).map(
        (t) => t.id,
      ),
    ).toEqual([]);
    // Only the operational endpoints and the static dashboard are public, never anything under /v1.
    expect(PUBLIC.filter((t) => t.isMutation || t.operation.path.startsWith('/v1')).map((t) => t.id)).toEqual([]);
  });

  describe('refused requests', () => {
    let before: Map<string, { rows: number; digest: string }>;

    /**
     * Row count and a digest of the contents of every table but the bookkeeping ones. api_tokens.last_used_at
     * is left out: authenticating a token (which a 403 does) records its use.
     */
    async function snapshot(): Promise<Map<string, { rows: number; digest: string }>> {
      const tables: { table_name: string }[] = await api.db
        .knex('information_schema.tables')
        .select('table_name')
        .where({ table_schema: 'public', table_type: 'BASE TABLE' })
        .orderBy('table_name');
      const result = new Map<string, { rows: number; digest: string }>();
      for (const { table_name: table } of tables) {
        if (BOOKKEEPING.has(table)) continue;
        const { rows } = await api.db.knex.raw(
          `select count(*)::int as rows,
                  coalesce(md5(string_agg(r.j::text, E'\\n' order by r.j::text)), '') as digest
             from (select to_jsonb(t) - 'last_used_at' as j from ?? t) r`,
          [table],
        );
        result.set(table, { rows: rows[0].rows, digest: rows[0].digest });
      }
      return result;
    }

    beforeAll(async () => {
      before = await snapshot();
      expect([...before.keys()]).toEqual(expect.arrayContaining(['api_tokens', 'policies', 'actions', 'webhooks']));
    });

    it.each(unauthenticatedCases)('401 for $name', async ({ target, state, detail, field }) => {
      const response = await send(target, state);
      expect({ status: response.status, contentType: response.contentType }).toEqual({
        status: 401,
        contentType: 'application/problem+json',
      });
      expect(response.body).toMatchObject({ type: 'urn:warden:problem:unauthenticated', status: 401 });
      expect(response.body.detail).toMatch(detail);
      if (field) expect(response.body.field).toBe(field);
      expect(response.headers.get('x-request-id')).toBe(response.id);
    });

    it.each(forbiddenCases)('403 for $name', async ({ target, role }) => {
      const response = await send(target, role);
      expect({ status: response.status, contentType: response.contentType }).toEqual({
        status: 403,
        contentType: 'application/problem+json',
      });
      expect(response.body).toMatchObject({ type: 'urn:warden:problem:forbidden', status: 403 });
      expect(response.body.detail).toContain(`your token's role is ${role}`);

      if (!target.isMutation) return; // refused reads are not audited, by design (src/http/route.ts)
      const events = await api.db.knex('audit_events').where({ request_id: response.id }).orderBy('seq');
      // A refused mutation by an authenticated caller is on the record, as itself, under the route's action.
      const route = (ROUTES as RouteTable)[target.id as keyof RouteTable]!;
      expect(events).toEqual([
        expect.objectContaining({
          action: route.auditAction,
          outcome: 'denied',
          actor_type: 'token',
          actor_id: credentials.valid[role].tokenId,
          actor_name: `matrix-${role}`,
          actor_role: role,
        }),
      ]);
      expect(events[0].details).toMatchObject({ operationId: target.id, method: target.method });
    });

    it('changed nothing in the database but audit and job bookkeeping', async () => {
      expect(Object.fromEntries(await snapshot())).toEqual(Object.fromEntries(before));
    });
  });

  describe('admitted roles', () => {
    it.each(admittedCases)('gets past authorization, without a 5xx: $name', async ({ target, role }) => {
      const response = await send(target, role);
      // Placeholder ids and an empty body may well earn a 400, 404 or 409; never a refusal or a crash. On failure
      // the status and problem are shown.
      const admitted = response.status < 500 && response.status !== 401 && response.status !== 403;
      expect(admitted ? 'admitted' : { status: response.status, problem: response.body }).toBe('admitted');
      if (response.status >= 400) expect(response.contentType).toBe('application/problem+json');
    });
  });

  describe('public operations', () => {
    it.each(publicCases)('answers without authentication, without a 5xx: $name', async ({ target, state }) => {
      const response = await send(target, state);
      const answered = response.status < 500 && response.status !== 401 && response.status !== 403;
      expect(answered ? 'answered' : { status: response.status, problem: response.body }).toBe('answered');
    });
  });
});
