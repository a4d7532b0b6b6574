// Entra ID credentials for the Intune connector: a connection's credential settings -> an @azure/identity
// TokenCredential (client secret, certificate as PEM or PFX, managed identity), trusting an extra CA when asked
// and never letting MSAL call Microsoft's instance discovery for a foreign authority. Token failures are sorted
// into MdmErrors from what the token endpoint actually answered (a pipeline policy watches it).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import {
  type AccessToken,
  ClientCertificateCredential,
  ClientSecretCredential,
  type GetTokenOptions,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import forge from 'node-forge';
import { httpsUrl, MdmError } from '../errors';
import { carry, fromCredentialError, type TokenEndpointFailure } from './graph-errors';
import {
  DEFAULT_AUTHORITY_HOST,
  type IntuneCredentials,
  type IntuneSettings,
  MICROSOFT_AUTHORITY_HOSTS,
} from './settings';

type PipelinePolicy = NonNullable<TokenCredentialOptions['additionalPolicies']>[number]['policy'];

/** Remembers the last failed answer of the token pipeline (status and OAuth error only, never a body). */
class TokenEndpointWatch {
  failure: TokenEndpointFailure | null = null;

  readonly policy: PipelinePolicy = {
    name: 'wardenTokenEndpointWatch',
    sendRequest: async (request, next) => {
      try {
        const response = await next(request);
        if (response.status >= 400) {
          this.failure = { status: response.status, oauthError: oauthErrorOf(response.bodyAsText) };
        }
        return response;
      } catch (error) {
        this.failure = { status: null, oauthError: null };
        throw error;
      }
    },
  };
}

function oauthErrorOf(body: string | null | undefined): string | null {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : null;
  } catch {
    return null;
  }
}

/** Wraps the real credential so any failure leaves as an MdmError (carried through the Graph SDK, see graph-errors). */
class SortingCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly watch: TokenEndpointWatch,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.watch.failure = null;
    let token: AccessToken | null;
    try {
      token = await this.inner.getToken(scopes, options);
    } catch (error) {
      if (options?.abortSignal?.aborted) throw error;
      throw carry(fromCredentialError(error, this.watch.failure));
    }
    if (!token) throw carry(new MdmError('auth', 'the credential returned no token for Graph'));
    return token;
  }
}

/** The default trust store plus an extra CA, so an emulator (or a TLS-inspecting proxy) is trusted too. */
export function trustedCas(extraCaPem: string | undefined): string[] | undefined {
  return extraCaPem ? [...rootCertificates, extraCaPem] : undefined;
}

export function isMicrosoftAuthority(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(httpsUrl(authorityHost, 'authorityHost').hostname.toLowerCase());
}

export interface CredentialOptions {
  caPem?: string;
}

/** Builds the credential; a credential that cannot be read at all (bad PEM, PFX password) is MdmError('auth'). */
export function buildCredential(
  settings: IntuneSettings,
  credentials: IntuneCredentials,
  options: CredentialOptions = {},
): TokenCredential {
  const authorityHost = settings.authorityHost ?? DEFAULT_AUTHORITY_HOST;
  const watch = new TokenEndpointWatch();
  const ca = trustedCas(options.caPem);
  const common: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost,
    // MSAL's instance discovery always asks the public cloud; for any other authority that is a leak.
    disableInstanceDiscovery: !isMicrosoftAuthority(authorityHost),
    additionalPolicies: [{ policy: watch.policy, position: 'perCall' }],
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
  let inner: TokenCredential;
  switch (credentials.type) {
    case 'client-secret':
      inner = new ClientSecretCredential(settings.tenantId, settings.clientId, credentials.clientSecret, common);
      break;
    case 'certificate': {
      const certificate =
        'pfxBase64' in credentials
          ? pemFromPfx(credentials.pfxBase64, credentials.pfxPassword)
          : pemFromParts(credentials.certificatePem, credentials.privateKeyPem);
      inner = new ClientCertificateCredential(settings.tenantId, settings.clientId, { certificate }, common);
      break;
    }
    case 'managed-identity':
      inner = credentials.clientId
        ? new ManagedIdentityCredential({ ...common, clientId: credentials.clientId })
        : new ManagedIdentityCredential(common);
      break;
  }
  return new SortingCredential(inner, watch);
}

/** Certificate then key, checked to belong together, as ClientCertificateCredential wants them. */
function pemFromParts(certificatePem: string, privateKeyPem: string): string {
  let certificate: X509Certificate;
  let key: ReturnType<typeof createPrivateKey>;
  try {
    certificate = new X509Certificate(certificatePem);
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new MdmError('auth', 'the certificate credential is not a readable PEM certificate and private key', {
      cause: error,
    });
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new MdmError('auth', 'the private key does not belong to the certificate');
  }
  return `${certificate.toString()}\n${key.export({ type: 'pkcs8', format: 'pem' }).toString()}`;
}

/**
 * A PFX (PKCS#12, base64) -> PEM: the certificate matching the key first (its thumbprint is what Entra ID
 * checks), then any chain certificates, then the key.
 */
export function pemFromPfx(pfxBase64: string, password = ''): string {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(pfxBase64)), password);
  } catch (error) {
    throw new MdmError('auth', 'the PFX could not be opened (not PKCS#12, or a wrong password)', { cause: error });
  }
  const { certBag, pkcs8ShroudedKeyBag, keyBag } = forge.pki.oids;
  const bags = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const key = [...bags(pkcs8ShroudedKeyBag as string), ...bags(keyBag as string)].find((bag) => bag.key)?.key as
    | forge.pki.rsa.PrivateKey
    | undefined;
  const certificates = bags(certBag as string).flatMap((bag) => (bag.cert ? [bag.cert] : []));
  if (!key || certificates.length === 0) {
    throw new MdmError('auth', 'the PFX must hold an RSA private key and its certificate');
  }
  const matches = (cert: forge.pki.Certificate) => (cert.publicKey as forge.pki.rsa.PublicKey).n?.equals(key.n);
  const leaf = certificates.find(matches);
  if (!leaf) throw new MdmError('auth', 'no certificate in the PFX belongs to its private key');
  const ordered = [leaf, ...certificates.filter((cert) => cert !== leaf)];
  // Re-encoded by node: LF line ends and a PKCS#8 key, like the PEM path.
  const pems = ordered.map((cert) => new X509Certificate(forge.pki.certificateToPem(cert)).toString());
  const keyPem = createPrivateKey(forge.pki.privateKeyToPem(key)).export({ type: 'pkcs8', format: 'pem' }).toString();
  return [...pems, keyPem].join('\n');
}
