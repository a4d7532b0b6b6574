// The connector contract: what Warden asks of every MDM, in Warden's own terms. Each MDM (intune/, later jamf/
// and android/) implements it behind a factory; nothing outside mdm/ knows an MDM's wire format. Failures are
// MdmErrors (errors.ts). Native policy objects are exchanged in the MDM-neutral shapes of native.ts.
import type { MdmError } from './errors';
import type { NativeChange, NativeChangeResult, NativeState } from './native';

export type MdmKind = 'intune' | 'jamf' | 'android';

export type Platform = 'android' | 'ios' | 'windows' | 'macos' | 'other';
export type Ownership = 'company' | 'personal' | 'unknown';
/**
 * How the device is enrolled, in the terms that matter for the work/personal boundary:
 * work-profile (Android personal with a work profile), fully-managed (Android company device),
 * user-enrollment (Apple account-driven user enrolment of a personal device), device (any other full MDM
 * enrolment), legacy-admin (Android device administrator).
 */
export type EnrollmentMode =
  | 'work-profile'
  | 'fully-managed'
  | 'user-enrollment'
  | 'device'
  | 'legacy-admin'
  | 'unknown';
export type Compliance = 'compliant' | 'noncompliant' | 'in-grace-period' | 'unknown';

/** A device as Warden understands it, the same for every MDM. */
export interface NormalizedDevice {
  /** The MDM's id for the device. */
  externalId: string;
  name: string | null;
  platform: Platform;
  osVersion: string | null;
  model: string | null;
  manufacturer: string | null;
  serialNumber: string | null;
  ownership: Ownership;
  enrollmentMode: EnrollmentMode;
  supervised: boolean | null;
  /** null: the MDM does not know. Never read null as false. */
  encrypted: boolean | null;
  jailbroken: boolean | null;
  compliance: Compliance;
  /** The MDM's own management state, verbatim (e.g. Intune's `managementState`). */
  managementState: string | null;
  user: { externalId: string | null; principalName: string | null; displayName: string | null; email: string | null };
  enrolledAt: Date | null;
  lastCheckInAt: Date | null;
  /** The MDM's record as received (the selected fields), for drill-down and for proving the sync exact. */
  native: Record<string, unknown>;
}

/** Where on the device an app was found, which decides whether it can touch work data. */
export type AppScope = 'work-profile' | 'personal-profile' | 'device' | 'unknown';

/** One device holding one app, as the MDM reports it. */
export interface AppHit {
  /** The app's identifier on its platform: Android package name or Apple bundle id (e.g. `com.whatsapp`). */
  identifier: string;
  /** The MDM's id of the app record (e.g. Intune's detectedApp id). */
  appExternalId: string;
  displayName: string | null;
  version: string | null;
  deviceExternalId: string;
  scope: AppScope;
}

/** A person in the organisation's directory, as far as device ownership needs. */
export interface DirectoryUser {
  /** The directory's id: what a device's user.externalId refers to. */
  externalId: string;
  principalName: string | null;
  displayName: string | null;
  /** false: the account is disabled (the person left, or is suspended). */
  enabled: boolean;
}

export interface ListOptions {
  /** Aborts the listing (e.g. the job is shutting down). */
  signal?: AbortSignal;
}

/** Directory groups by display name: names are not unique in a directory, so none is guessed. */
export interface GroupResolution {
  /** Name -> the one group's id. */
  ids: Map<string, string>;
  /** Names no group has. */
  missing: string[];
  /** Names several groups share. */
  ambiguous: string[];
}

/** A remote action Warden can send to a device. retire: company data and managed apps only; wipe: factory reset. */
export type RemoteAction = 'wipe' | 'retire' | 'lock' | 'sync';

/** What the MDM says of the latest action of one kind on a device. */
export interface RemoteActionStatus {
  /** none: the MDM holds no such action; gone: the device is no longer managed (a retire or wipe's end). */
  state: 'none' | 'pending' | 'done' | 'failed' | 'canceled' | 'gone';
  /** When the MDM says the action started, if it holds one. */
  startedAt: Date | null;
}

export interface ReadNativeOptions extends ListOptions {
  /**
   * Also read app protections' exemption lists (Intune: a Graph beta property, so asked only when a policy
   * watches them; a failure to read them fails the reading, never passes for "no exemptions").
   */
  exemptions?: boolean;
}

/** What a connector's calls cost, for sync records and benchmarks. */
export interface RequestStats {
  /** HTTP requests sent to the MDM (retries included; a $batch counts once). */
  requests: number;
  /** 429 answers received, counting each throttled item of a $batch (so it can exceed requests). */
  throttled: number;
  /** Requests or $batch items sent again after a throttled or transient failure. */
  retried: number;
}

export interface MdmConnector {
  readonly kind: MdmKind;
  /**
   * Whether the MDM has a directory of people and groups Warden can read (listUsers, resolveGroups). Without
   * one, those calls throw MdmError('invalid'), directory sync skips the connection, and policy targets by
   * group cannot be resolved there.
   */
  readonly hasDirectory: boolean;
  /** Proves the credential works (token and one cheap read). */
  verify(options?: ListOptions): Promise<void>;
  /**
   * Every managed device, page by page. Throws MdmError('incomplete') when the listing ends early or its
   * count disagrees with the MDM's own total: a caller must then conclude nothing from the pages it saw.
   */
  listDevices(options?: ListOptions): AsyncIterable<NormalizedDevice[]>;
  /**
   * Every device holding one of these apps (by identifier), asked per app rather than per device. Complete
   * or throwing, like listDevices.
   */
  devicesWithApps(identifiers: readonly string[], options?: ListOptions): AsyncIterable<AppHit[]>;
  /**
   * Every user of the directory behind the MDM, page by page; complete or throwing like listDevices. A deleted
   * user is absent from the listing.
   */
  listUsers(options?: ListOptions): AsyncIterable<DirectoryUser[]>;
  /** The ids of the directory groups with these display names (exact, case-sensitive match). */
  resolveGroups(names: readonly string[], options?: ListOptions): Promise<GroupResolution>;
  /**
   * Sends a remote action, once: a failure whose outcome is unknown (MdmError.outcomeUnknown) is never resent
   * here; the caller asks actionStatus before sending again.
   */
  sendAction(deviceExternalId: string, action: RemoteAction, options?: ListOptions): Promise<void>;
  /** The MDM's record of the latest action of this kind on the device. */
  actionStatus(deviceExternalId: string, action: RemoteAction, options?: ListOptions): Promise<RemoteActionStatus>;
  /** Requests sent so far by this connector instance. */
  stats(): RequestStats;
  /** The policy objects the MDM holds where Warden compiles to; complete, or throwing. */
  readNative(options?: ReadNativeOptions): Promise<NativeState[]>;
  /** Carries out changes in order; the first failure stops the rest and is thrown. */
  applyNative(changes: readonly NativeChange[], options?: ListOptions): Promise<NativeChangeResult[]>;
}

export type { MdmError };
