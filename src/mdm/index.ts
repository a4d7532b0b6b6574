// The MDM side of Warden as the rest of the service sees it: the connector contract, its errors, and the one
// factory that turns a stored connection (kind, settings, credentials) into a connector. This is the only place
// that switches on the kind of MDM.
import type { Logger } from 'pino';
import { AndroidConnector } from './android/connector';
import type { AndroidCredentials, AndroidSettings } from './android/settings';
import type { MdmConnector } from './connector';
import { IntuneConnector } from './intune/connector';
import type { IntuneCredentials, IntuneSettings, PacingOverrides } from './intune/settings';
import { JamfConnector } from './jamf/connector';
import type { JamfCredentials, JamfSettings } from './jamf/settings';
import type { BucketLimit, RetryPolicy } from './resilience';

export type { AndroidCredentials, AndroidSettings } from './android/settings';
export type * from './connector';
export { MdmError, type MdmErrorKind } from './errors';
export type { IntuneCredentials, IntuneSettings, PacingOverrides } from './intune/settings';
export type { JamfCredentials, JamfSettings } from './jamf/settings';
export type { RetryPolicy } from './resilience';

/** A stored connection as the factory needs it; one member per MDM kind. */
export type ConnectorDefinition =
  | { kind: 'intune'; settings: IntuneSettings; credentials: IntuneCredentials }
  | { kind: 'jamf'; settings: JamfSettings; credentials: JamfCredentials }
  | { kind: 'android'; settings: AndroidSettings; credentials: AndroidCredentials };

/**
 * Token-bucket sizes, for the MDMs that publish limits: Intune's per tenant and per app (`tenant`, `app`), the
 * Android Management API's per Cloud project (`project`). Jamf Pro publishes none (its connector keeps to five
 * concurrent requests instead), so no pacing override applies to it.
 */
export type ConnectorPacing = PacingOverrides & { project?: Partial<BucketLimit> };

export interface ConnectorOptions {
  log?: Logger;
  /** An extra CA certificate (PEM) to trust besides the system's: emulators, TLS-inspecting proxies. */
  caPem?: string;
  /** Token-bucket sizes (defaults from the MDM's published limits); see ConnectorPacing. */
  pacing?: ConnectorPacing;
  /** Retry rules; `{ maxAttempts: 1 }` opts out of retries. */
  retry?: Partial<RetryPolicy>;
}

/**
 * Builds the connector for a connection. Throws MdmError('auth') when the credential cannot even be read
 * (e.g. a PFX with the wrong password, a service account key without its private key) and MdmError('invalid')
 * when the settings cannot be used; nothing is sent before the first call.
 */
export function createConnector(definition: ConnectorDefinition, options: ConnectorOptions = {}): MdmConnector {
  const { log, caPem, retry, pacing } = options;
  switch (definition.kind) {
    case 'intune':
      return new IntuneConnector(definition.settings, definition.credentials, options);
    case 'jamf':
      return new JamfConnector(definition.settings, definition.credentials, { log, caPem, retry });
    case 'android':
      return new AndroidConnector(definition.settings, definition.credentials, {
        log,
        caPem,
        retry,
        pacing: pacing?.project ? { project: pacing.project } : undefined,
      });
    default:
      return unknownKind(definition);
  }
}

function unknownKind(definition: never): never {
  throw new Error(`no connector for MDM kind ${String((definition as { kind?: unknown }).kind)}`);
}
