// How Warden connects to an emulated Jamf Pro server: the connection definition (as POST /v1/connections takes
// it) for the emulator's default API client, or another client registered with it. Used by the demo, the CLI
// and the tests.
import type { JamfEmulator } from './server';

export function jamfEmulatorConnection(
  emulator: Pick<JamfEmulator, 'url' | 'clientId' | 'clientSecret'>,
  client: { clientId: string; clientSecret: string } = emulator,
) {
  return {
    kind: 'jamf' as const,
    settings: { baseUrl: emulator.url },
    credentials: {
      type: 'client-credentials' as const,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
    },
  };
}
