/**
 * The discovery documents MSAL reads before asking for a token: the tenant's OpenID configuration
 * (it takes token_endpoint from there, and uses it as the audience of client assertions), the
 * instance-discovery answer, and the JWKS of the key access tokens are signed with.
 */
import type { KeyObject } from 'node:crypto';

export function openIdConfiguration(origin: string, tenantId: string): Record<string, unknown> {
  const base = `${origin}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'ver', 'oid'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

/** The instance-discovery answer: the emulator is its own (only) alias. */
export function instanceDiscovery(origin: string, tenantId: string): Record<string, unknown> {
  const host = new URL(origin).host;
  return {
    tenant_discovery_endpoint: `${origin}/${tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** JWKS with the public key that signs the emulator's access tokens. */
export function signingKeys(publicKey: KeyObject, keyId: string): Record<string, unknown> {
  const jwk = publicKey.export({ format: 'jwk' });
  return { keys: [{ kty: 'RSA', use: 'sig', kid: keyId, n: jwk.n, e: jwk.e }] };
}
