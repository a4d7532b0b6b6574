// Intune's native policy objects in the shapes Warden exchanges with the connector: what a policy compiles to
// (NativeObject) and what the tenant holds (NativeState). The policy compiler produces the first, the connector
// reads the second and applies plans built from both.
export type IntuneCollection =
  | 'androidManagedAppProtections'
  | 'iosManagedAppProtections'
  | 'deviceConfigurations'
  | 'deviceCompliancePolicies';

export interface NativeObject {
  /** Stable within the policy; with the policy's name it forms the marker that finds the object again. */
  key: string;
  collection: IntuneCollection;
  odataType: string;
  displayName: string;
  description: string;
  /** The settings Warden owns on the object: only these are compared when planning. */
  settings: Record<string, unknown>;
  /** For each setting, the policy controls it carries out: drift in it is handled in their modes. */
  controls: Record<string, string[]>;
  /**
   * Sent when creating only, never compared: a compliance policy's scheduled actions are a navigation property
   * that Graph neither lists with the policy nor lets PATCH change.
   */
  createOnly?: Record<string, unknown>;
  /** App protection only: the apps it protects. */
  targetApps?: { appGroupType: 'allApps' };
  assignments: Array<Record<string, unknown>>;
}

/** An object as the MDM holds it. */
export interface NativeState {
  id: string;
  collection: IntuneCollection;
  odataType: string;
  displayName: string;
  description: string | null;
  /** Every property as read (Warden compares only the ones it owns). */
  properties: Record<string, unknown>;
  assignments: Array<Record<string, unknown>>;
  targetApps?: { appGroupType: string };
  /**
   * App protection, when asked for: the apps its exemption list lets data flow to (Android package ids, iOS URL
   * protocols), read from Graph beta.
   */
  exemptions?: string[];
}
