// Native policy objects in the one shape Warden exchanges with every connector: what a policy compiles to
// (NativeObject), what the MDM holds (NativeState) and what a plan asks the connector to do (NativeChange).
// Each MDM names its own collections (Intune: Graph collections; Jamf: configuration profiles; Android:
// policies) and keeps Warden's marker, `[warden:<policy>/<key>]`, where the planner can read it back from
// `description`, so planning, apply and drift are the same code for every MDM.

export interface NativeObject {
  /** Stable within the policy; with the policy's name it forms the marker that finds the object again. */
  key: string;
  /** The MDM's collection the object lives in (e.g. Intune's `deviceConfigurations`, Android's `policies`). */
  collection: string;
  /** The MDM's type of the object (Intune: `@odata.type`; Jamf: the payload type; Android: `Policy`). */
  odataType: string;
  displayName: string;
  /** Carries the marker. */
  description: string;
  /** The settings Warden owns on the object: only these are compared when planning. */
  settings: Record<string, unknown>;
  /** For each setting, the policy controls it carries out: drift in it is handled in their modes. */
  controls: Record<string, string[]>;
  /**
   * Sent when creating only, never compared: e.g. an Intune compliance policy's scheduled actions, a navigation
   * property that Graph neither lists with the policy nor lets PATCH change.
   */
  createOnly?: Record<string, unknown>;
  /** Intune app protection only: the apps it protects. */
  targetApps?: { appGroupType: 'allApps' };
  /** Who receives the object, each entry with a `target` in the MDM's own terms. */
  assignments: Array<Record<string, unknown>>;
}

/** An object as the MDM holds it. */
export interface NativeState {
  id: string;
  collection: string;
  odataType: string;
  displayName: string;
  /** Where the marker is read back from (a connector whose MDM has no description puts the marker here). */
  description: string | null;
  /** Every property as read (Warden compares only the ones it owns). */
  properties: Record<string, unknown>;
  assignments: Array<Record<string, unknown>>;
  targetApps?: { appGroupType: string };
  /**
   * Intune app protection, when asked for: the apps its exemption list lets data flow to (Android package ids,
   * iOS URL protocols), read from Graph beta.
   */
  exemptions?: string[];
}

/** What to do to one object (from a plan). */
export type NativeChange =
  | { action: 'create'; desired: NativeObject }
  | { action: 'update'; id: string; desired: NativeObject; changed: readonly string[] }
  | { action: 'delete'; id: string; collection: string };

export interface NativeChangeResult {
  action: NativeChange['action'];
  collection: string;
  id: string;
}

const MARKER = /\[warden:([a-z0-9-]+)\/([a-z0-9-]+)\]/;

/** The text that marks an object as Warden's, for one policy and one key. */
export function markerOf(policyName: string, key: string): string {
  return `[warden:${policyName}/${key}]`;
}

/** Reads the marker back from an object's description; null for objects Warden does not own. */
export function parseMarker(description: string | null | undefined): { policy: string; key: string } | null {
  const match = description ? MARKER.exec(description) : null;
  return match ? { policy: match[1]!, key: match[2]! } : null;
}
