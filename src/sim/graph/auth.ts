/**
 * The emulated Microsoft Entra ID side: app registrations (secret and/or certificate), the discovery
 * documents MSAL fetches first, the client-credentials token endpoint (secret, or a signed
 * RS256/PS256 client assertion checked like AAD: thumbprint, signature, aud, iss/sub, lifetime), and
 * validation of the bearer tokens it issued when Graph requests present them. Errors use AAD's shape.
 */
import { createHash, createPublicKey, type KeyObject, randomUUID, sign, verify, X509Certificate } from 'node:crypto';
import { instanceDiscovery, openIdConfiguration, signingKeys } from './discovery';
import { graphError, type SimRequest, type SimResponse } from './http';
import { base64urlJson, checkClientAssertion, decodeJwtPart, type RegisteredCertificate } from './jwt';

export const DEFAULT_TENANT_ID = '8f3c2a71-5d4e-4b6a-9c1f-2e7d3b9a6c10';
export const DEFAULT_CLIENT_ID = '3f9e7c2a-1b5d-4e8f-a6c0-9d2b4e1f7a35';
export const DEFAULT_CLIENT_SECRET = 'wdn8Q~emulator-client-secret.DoNotUseInProduction';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

/** Application permissions granted by default: enough for every emulated endpoint. */
export const DEFAULT_ROLES = [
  'DeviceManagementManagedDevices.ReadWrite.All',
  'DeviceManagementManagedDevices.PrivilegedOperations.All',
  'DeviceManagementApps.Read.All',
  'DeviceManagementApps.ReadWrite.All',
  'DeviceManagementConfiguration.ReadWrite.All',
  'User.Read.All',
  'Group.Read.All',
];

export interface ClientRegistration {
  clientId: string;
  clientSecret?: string;
  /** PEM of a certificate whose key may sign client assertions. */
  certificatePem?: string;
  /** Application permissions (the token's `roles`); default DEFAULT_ROLES. */
  roles?: string[];
}

interface RegisteredClient {
  clientId: string;
  secret?: string;
  certificate?: RegisteredCertificate;
  roles: string[];
}

export interface Principal {
  clientId: string;
  roles: string[];
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export class TokenAuthority {
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly publicKey: KeyObject;
  private readonly keyId: string;

  constructor(
    readonly tenantId: string,
    private readonly origin: () => string,
    private readonly signingKeyPem: string,
    registrations: ClientRegistration[],
    private readonly tokenLifetimeSeconds = 3599,
  ) {
    this.publicKey = createPublicKey(signingKeyPem);
    this.keyId = createHash('sha256')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url')
      .slice(0, 27);
    for (const registration of registrations) this.register(registration);
  }

  register(registration: ClientRegistration): void {
    const client: RegisteredClient = { clientId: registration.clientId, roles: registration.roles ?? DEFAULT_ROLES };
    if (registration.clientSecret !== undefined) client.secret = registration.clientSecret;
    if (registration.certificatePem) {
      const certificate = new X509Certificate(registration.certificatePem);
      client.certificate = {
        sha1: createHash('sha1').update(certificate.raw).digest('base64url'),
        sha256: createHash('sha256').update(certificate.raw).digest('base64url'),
        publicKey: certificate.publicKey,
      };
    }
    this.clients.set(registration.clientId.toLowerCase(), client);
  }

  tokenEndpoint(): string {
    return `${this.origin()}/${this.tenantId}/oauth2/v2.0/token`;
  }

  /** GET /{tenant}/v2.0/.well-known/openid-configuration */
  openIdConfiguration(): SimResponse {
    return { status: 200, body: openIdConfiguration(this.origin(), this.tenantId) };
  }

  /** GET /common/discovery/instance: this authority is its own (only) alias. */
  instanceDiscovery(): SimResponse {
    return { status: 200, body: instanceDiscovery(this.origin(), this.tenantId) };
  }

  /** GET /{tenant}/discovery/v2.0/keys: the key the issued access tokens are signed with. */
  jwks(): SimResponse {
    return { status: 200, body: signingKeys(this.publicKey, this.keyId) };
  }

  /** POST /{tenant}/oauth2/v2.0/token (client credentials grant). */
  token(request: SimRequest, tenantInPath: string): { response: SimResponse; issued: boolean } {
    // MSAL sends its correlation id as a query parameter of the token URL.
    const correlationId = request.query.get('client-request-id') ?? request.clientRequestId;
    const fail = (status: number, error: string, code: number, text: string) => ({
      response: aadError(correlationId, status, error, code, text, this.origin()),
      issued: false,
    });
    if (tenantInPath.toLowerCase() !== this.tenantId.toLowerCase()) {
      return fail(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantInPath}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const form = new URLSearchParams(request.rawBody);
    const [basicId, basicSecret] = basicCredentials(request.headers.authorization);
    const clientId = form.get('client_id') ?? basicId;
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
      );
    }
    if (!clientId)
      return fail(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    const scope = form.get('scope');
    if (!scope)
      return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    if (scope !== `${GRAPH_RESOURCE}/.default` && scope !== `${GRAPH_RESOURCE}//.default`) {
      return fail(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const client = this.clients.get(clientId.toLowerCase());
    if (!client) {
      return fail(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    const secret = form.get('client_secret') ?? basicSecret;
    const assertion = form.get('client_assertion');
    let authenticatedBy: 'secret' | 'certificate';
    if (secret !== null && secret !== undefined) {
      if (client.secret === undefined || secret !== client.secret) {
        return fail(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        );
      }
      authenticatedBy = 'secret';
    } else if (assertion) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
        return fail(400, 'invalid_request', 7000274, `The client_assertion_type must be '${ASSERTION_TYPE}'.`);
      }
      const problem = checkClientAssertion(assertion, client.clientId, client.certificate, this.tokenEndpoint());
      if (problem) return fail(401, 'invalid_client', problem.code, problem.text);
      authenticatedBy = 'certificate';
    } else {
      return fail(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    return {
      response: {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: this.tokenLifetimeSeconds,
          ext_expires_in: this.tokenLifetimeSeconds,
          access_token: this.issueAccessToken(client, authenticatedBy),
        },
      },
      issued: true,
    };
  }

  private issueAccessToken(client: RegisteredClient, authenticatedBy: 'secret' | 'certificate'): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', kid: this.keyId, x5t: this.keyId };
    const claims = {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + this.tokenLifetimeSeconds,
      app_displayname: 'Warden',
      appid: client.clientId,
      appidacr: authenticatedBy === 'secret' ? '1' : '2',
      idp: `https://sts.windows.net/${this.tenantId}/`,
      idtyp: 'app',
      oid: randomUUID(),
      roles: client.roles,
      sub: client.clientId,
      tid: this.tenantId,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    };
    const body = `${base64urlJson(header)}.${base64urlJson(claims)}`;
    return `${body}.${sign('sha256', Buffer.from(body), this.signingKeyPem).toString('base64url')}`;
  }

  /** Validates a Graph request's bearer token; answers the 401 Graph gives otherwise. */
  authenticate(request: SimRequest): Principal | SimResponse {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const unauthorized = (message: string) =>
      graphError(request, 401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': 'Bearer' });
    if (!token) return unauthorized('Access token is empty.');
    const parts = token.split('.');
    const claims = decodeJwtPart(parts[1]);
    if (parts.length !== 3 || !claims) return unauthorized('IDX14100: JWT is not well formed, there are no dots (.).');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('sha256', signed, this.publicKey, Buffer.from(parts[2] ?? '', 'base64url'))) {
      return unauthorized('Access token validation failure. Invalid signature.');
    }
    if (claims.aud !== GRAPH_RESOURCE) return unauthorized('Access token validation failure. Invalid audience.');
    if (claims.tid !== this.tenantId) return unauthorized('Access token validation failure. Invalid issuer.');
    if (typeof claims.exp !== 'number' || claims.exp < Date.now() / 1000) {
      return unauthorized('Lifetime validation failed, the token is expired.');
    }
    const roles = Array.isArray(claims.roles)
      ? claims.roles.filter((role): role is string => typeof role === 'string')
      : [];
    return { clientId: String(claims.appid), roles };
  }
}

function aadError(
  correlationId: string,
  status: number,
  error: string,
  code: number,
  text: string,
  origin: string,
): SimResponse {
  const traceId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}Z`,
      error_codes: [code],
      timestamp: `${timestamp}Z`,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${origin}/error?code=${code}`,
    },
  };
}

function basicCredentials(header: string | undefined): [string | undefined, string | undefined] {
  const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return [undefined, undefined];
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return [undefined, undefined];
  return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
}
