/**
 * Public surface of the Graph (Intune) emulator: start it, configure faults from CLI flags, and the
 * constants and types a caller needs (default tenant and client, tenant state, policy objects, stats).
 */

export { DEVICE_ACTIONS } from './actions';
export {
  type ClientRegistration,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_ROLES,
  DEFAULT_TENANT_ID,
  GRAPH_RESOURCE,
} from './auth';
export { MAX_BATCH_REQUESTS } from './batch';
export { EXEMPTION_PROPERTY } from './beta';
export { emulatorConnection } from './connection';
export {
  DEFAULT_FAULTS,
  FAULT_OPTIONS,
  type FaultOptionDefinition,
  type FaultSettings,
  faultSettingsFromOptions,
  InvalidFaultSettingError,
  parseFaultFlags,
  validateFaultSettings,
} from './faults';
export { type DirectoryGroup, SEEDED_GROUPS } from './groups';
export { INTUNE_DEVICE_SERVICE_LIMITS } from './limits';
export { BLOCK_RULE_MESSAGE, type GraphObject, PolicyRuleError } from './policy-parts';
export { BodyValidationError, POLICY_CSDL_SUPPLEMENT } from './policy-schema';
export {
  POLICY_KIND_INFO,
  POLICY_KINDS,
  type PolicyKind,
  type PolicySnapshot,
  PolicyStore,
} from './policy-store';
export { type GraphEmulator, type GraphEmulatorOptions, startGraphEmulator } from './server';
export { actionCount, type EmulatorStats } from './stats';
export { type AppInit, type DeviceInit, type DevicePatch, GraphTenant } from './store';
export type { DetectedApp, DetectedAppPlatformType, DeviceActionResult, DirectoryUser, ManagedDevice } from './types';
