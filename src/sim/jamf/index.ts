/**
 * Public surface of the Jamf Pro emulator: start it (programmatically, or from the CLI later with the same
 * fault flags as the Graph emulator: FAULT_OPTIONS / parseFaultFlags from ../graph), its default API client,
 * and the types a caller needs to inspect the fleet and the counters.
 */

export { DEFAULT_JAMF_CLIENT_ID, DEFAULT_JAMF_CLIENT_SECRET, type JamfClientRegistration, TOKEN_PATHS } from './auth';
export { jamfEmulatorConnection } from './connection';
export {
  JamfFleet,
  MESSENGERS,
  type OwnershipType,
  type SimApp,
  type SimComputer,
  type SimMobileDevice,
} from './fleet';
export { MAX_PAGE_SIZE } from './inventory';
export { PROFILES_PATH } from './profiles';
export { type JamfEmulator, type JamfEmulatorOptions, startJamfEmulator } from './server';
export type { JamfEmulatorStats } from './stats';
