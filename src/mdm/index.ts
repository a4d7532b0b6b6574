// The MDM side of Warden as the rest of the service sees it: the connector contract, its errors, and the one
// factory that turns a stored connection (kind, settings, credentials) into a connector. This is the only place
// that switches on the kind of MDM.
import type { Logger } from 'pino';
import type { MdmConnector } from './connector';
import { IntuneConnector } from './intune/connector';
import type { IntuneCredentials, IntuneSettings, PacingOverrides } from './intune/settings';
import type { RetryPolicy } from './resilience';

export type * from './connector';
export { MdmError, type MdmErrorKind } from './errors';
export type { IntuneCredentials, IntuneSettings, PacingOverrides } from './intune/settings';
export type { RetryPolicy } from './resilience';

/** A stored connection as the factory needs it; one member per MDM kind. */
export type ConnectorDefinition = { kind: 'intune'; settings: IntuneSettings; credentials: IntuneCredentials };

export interface ConnectorOptions {
  log?: Logger;
  /** An extra CA certificate (PEM) to trust besides the system's: emulators, TLS-inspecting proxies. */
  caPem?: string;
  /** Token-bucket sizes per tenant and per app (defaults from the MDM's published limits). */
  pacing?: PacingOverrides;
  /** Retry rules; `{ maxAttempts: 1 }` opts out of retries. */
  retry?: Partial<RetryPolicy>;
}

/**
 * Builds the connector for a connection. Throws MdmError('auth') when the credential cannot even be read
 * (e.g. a PFX with the wrong password); nothing is sent before the first call.
 */
export function createConnector(definition: ConnectorDefinition, options: ConnectorOptions = {}): MdmConnector {
  switch (definition.kind) {
    case 'intune':
      return new IntuneConnector(definition.settings, definition.credentials, options);
    default:
      return unknownKind(definition.kind);
  }
}

function unknownKind(kind: never): never {
  throw new Error(`no connector for MDM kind ${String(kind)}`);
}
