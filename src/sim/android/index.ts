/**
 * Public surface of the Android Management API emulator: start it, its service-account helpers, the fault
 * settings it shares with the Graph emulator, and the types a caller needs.
 */

export { DEFAULT_FAULTS, type FaultSettings } from '../graph/faults';
export {
  ANDROID_MANAGEMENT_SCOPE,
  createServiceAccountKey,
  GOOGLE_TOKEN_URL,
  registrationOf,
  type ServiceAccountKey,
  type ServiceAccountRegistration,
} from './auth';
export { androidEmulatorConnection } from './connection';
export { COMMAND_TYPES, type DeleteEffect, type Device, Enterprise, type Operation } from './enterprise';
export { MESSENGERS, POLICY_IDS, type SimDevice } from './fleet';
export type { Policy } from './policies';
export { DEVICE_PAGE_SIZE, type WriteFailure } from './routes';
export {
  type AndroidEmulator,
  type AndroidEmulatorOptions,
  DEFAULT_ENTERPRISE_NAME,
  DEFAULT_PROJECT_ID,
  startAndroidEmulator,
} from './server';
export { type AndroidEmulatorStats, deviceCallCount } from './stats';
