// Shared by the Jamf connector tests: a connector pointed at an emulator (its URL and CA) with fast retry
// settings, so injected faults cost milliseconds.
import { JamfConnector, type JamfConnectorOptions } from '../../../src/mdm/jamf';
import type { JamfEmulator } from '../../../src/sim/jamf';

export { startJamf } from '../../sim/jamf/helpers';
export { collect, collectFailure } from '../intune/helpers';

export const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 20_000 };

export function jamfConnector(
  emulator: JamfEmulator,
  options: JamfConnectorOptions & { clientSecret?: string; tokenPath?: string } = {},
): JamfConnector {
  const { clientSecret = emulator.clientSecret, tokenPath, ...rest } = options;
  return new JamfConnector(
    { baseUrl: emulator.url, ...(tokenPath ? { tokenPath } : {}) },
    { type: 'client-credentials', clientId: emulator.clientId, clientSecret },
    { caPem: emulator.caPem, retry: FAST_RETRY, ...rest },
  );
}

/** What the emulator holds as managed: the ids a complete listing must return. */
export function managedIds(emulator: JamfEmulator): string[] {
  return [
    ...emulator.fleet.mobileDevices.filter((d) => d.managed).map((d) => `mobile:${d.id}`),
    ...emulator.fleet.computers.filter((c) => c.managed).map((c) => `computer:${c.id}`),
  ];
}
