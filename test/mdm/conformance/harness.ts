// The connector conformance suite's contract with each MDM: a rig starts the MDM's emulator with a seeded fleet,
// hands a connector pointed at it, and exposes the emulator's truth (its devices, which devices hold which app,
// how many times it received each action) and its fault knobs. The suite (suite.ts) runs the same tests against
// every rig; a new connector joins by writing its rig (see intune.ts) and one line in conformance.test.ts.
import type { MdmConnector, RemoteAction } from '../../../src/mdm';

/** The part of the connector contract every MDM must honour the same way. */
export type ConformingConnector = Pick<
  MdmConnector,
  'kind' | 'verify' | 'listDevices' | 'devicesWithApps' | 'sendAction' | 'actionStatus' | 'stats'
>;

/** Faults the emulator injects from now on (rates from 0 to 1); `{}` clears them all. */
export interface Faults {
  /** Share of requests answered 429. */
  throttleRate?: number;
  /** Retry-After sent with those 429s; null sends none (the connector must back off with jitter). */
  retryAfterSeconds?: number | null;
  /** Share of requests answered 5xx (transient). */
  errorRate?: number;
  /** Share of requests whose connection is reset. */
  resetRate?: number;
  /** Added latency per request, in ms. */
  latencyMs?: number;
  /** The device listing stops early without saying so (the known field bug): the connector must notice. */
  truncateListing?: boolean;
}

export interface ConformanceRig {
  connector: ConformingConnector;
  /** A connector with a wrong secret: its first call must fail with MdmError('auth'). */
  connectorWithWrongCredentials(): ConformingConnector;
  /** The emulator's managed devices: what a complete listing must return, by external id. */
  deviceIds(): Promise<string[]>;
  /** App identifiers present in the fleet (some messengers), for devicesWithApps. */
  appIdentifiers: string[];
  /** External ids of the devices holding this app, as the emulator knows it. */
  devicesHolding(identifier: string): Promise<string[]>;
  faults(faults: Faults): Promise<void>;
  /** How many times the emulator received this action for this device. */
  actionCalls(deviceExternalId: string, action: RemoteAction): Promise<number>;
  /** Lets the emulator finish every pending action, as a device checking in would. */
  completePendingActions(): Promise<void>;
  /** How many devices the connector's MDM returns per page (the suite lists more than one page). */
  pageSize: number;
  /**
   * Devices that accept this action (e.g. only company-owned ones for a wipe), as the emulator holds them now
   * (a device an earlier test removed is not offered); absent: any device of the fleet.
   */
  devicesFor?(action: RemoteAction): Promise<string[]>;
  /** Native policy state read back; required when the target sets `readsNative`. */
  native?: NativeReadBack;
  stop(): Promise<void>;
}

/** One native policy object reduced to what both sides can state: the suite compares these, sorted by id. */
export interface NativeSummary {
  id: string;
  /** The MDM's collection or object kind (e.g. Intune's `deviceConfigurations`). */
  kind: string;
  name: string;
  /** The object's settings as the MDM holds them (the rig chooses which, the same for both sides). */
  settings: Record<string, unknown>;
}

export interface NativeReadBack {
  /**
   * What the rig's `connector` reads of the MDM's policy objects through readNative, summarised.
   */
  readBack(): Promise<NativeSummary[]>;
  /** What the emulator holds (the rig seeds some objects at start), summarised the same way. */
  held(): Promise<NativeSummary[]>;
}

export interface ConformanceTarget {
  name: string;
  /** Fleet size the suite starts the emulator with (default 250); must exceed the rig's pageSize. */
  devices?: number;
  /** A well-formed device id the MDM does not know: an action on it must fail with MdmError('not-found'). */
  unknownDeviceId?: string;
  /**
   * The MDM's device actions are not safe to repeat: a send that meets a 5xx or a reset must fail with
   * MdmError.outcomeUnknown and never be resent by the connector.
   */
  actionsNotRepeatable?: boolean;
  /**
   * Actions whose end is the device leaving management, which the MDM shows at once: RemoteActionStatus 'gone'
   * from the send on, and the device absent from listings (Jamf's unmanage for retire, the Android Management
   * API's devices.delete for retire and wipe). Every other action is a command the device picks up: 'pending'
   * until it checks in, then 'done'. Absent: none.
   */
  removesDevice?: ReadonlyArray<RemoteAction>;
  /**
   * Checks this MDM's API makes impossible, which the suite skips (saying why) rather than expects; absent: none.
   * 'truncated-listing': the API reports no total (Android Management), so a listing that ends early without a
   * continuation token looks complete to any client.
   */
  undetectable?: ReadonlyArray<'truncated-listing'>;
  /** The rig provides `native` (the connector reads the MDM's policy objects Warden compiles to). */
  readsNative?: boolean;
  /** Starts the emulator with `devices` devices (seeded, reproducible) and returns its rig. */
  start(options: { devices: number; seed: number }): Promise<ConformanceRig>;
}
