// Intune's native policy collections: where in Graph the objects Warden compiles to live. The shapes
// exchanged with the planner are the MDM-neutral ones of ../native.ts.
export type { NativeChange, NativeChangeResult, NativeObject, NativeState } from '../native';

export type IntuneCollection =
  | 'androidManagedAppProtections'
  | 'iosManagedAppProtections'
  | 'deviceConfigurations'
  | 'deviceCompliancePolicies';
