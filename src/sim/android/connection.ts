// How Warden connects to an emulated Android Management API enterprise: the connection definition (as
// POST /v1/connections takes it) for the emulator's default service account, or another key it trusts. Used by
// the demo, the CLI and the tests.
import type { ServiceAccountKey } from './auth';
import type { AndroidEmulator } from './server';

export function androidEmulatorConnection(
  emulator: Pick<AndroidEmulator, 'url' | 'tokenUri' | 'enterpriseName' | 'serviceAccountKey'>,
  key: ServiceAccountKey | undefined = emulator.serviceAccountKey,
) {
  if (!key) throw new Error('the emulator was started with its own service accounts: pass the key to connect with');
  return {
    kind: 'android' as const,
    settings: { enterpriseName: emulator.enterpriseName, rootUrl: emulator.url, tokenUri: emulator.tokenUri },
    credentials: { type: 'service-account' as const, key: { ...key } },
  };
}
