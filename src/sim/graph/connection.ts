// How Warden connects to an emulated tenant: the connection definition (as POST /v1/connections takes it) for
// the emulator's default app registration, or another one registered with it. Used by the demo, the tests
// and the benchmarks.
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from './auth';
import type { GraphEmulator } from './server';

export function emulatorConnection(
  emulator: Pick<GraphEmulator, 'tenantId' | 'authorityHost' | 'url'>,
  app: { clientId: string; credentials: { type: string } & Record<string, unknown> } = {
    clientId: DEFAULT_CLIENT_ID,
    credentials: { type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET },
  },
) {
  return {
    kind: 'intune' as const,
    settings: {
      tenantId: emulator.tenantId,
      clientId: app.clientId,
      authorityHost: emulator.authorityHost,
      graphBaseUrl: emulator.url,
    },
    credentials: app.credentials,
  };
}
