// The conformance rig for the Android connector: the Android Management API emulator with a seeded fleet, an
// AndroidConnector pointed at it through the official client, and the emulator's truth and fault knobs in the
// harness's terms. What Android cannot do the same way is declared, not hidden: a truncated listing is
// undetectable (no total in the API); wipe and retire are both devices.delete, which removes the device at once
// (so they end 'gone'), and are allowed only on the devices devicesFor names (wipe: company-owned; retire:
// personal work-profile phones). Native read-back compares the policy the rig adds as Warden's (its id carries
// the marker) with what the connector's readNative makes of the enterprise's policies: that one only, its
// fields opened one level deep; the seeded policies are not Warden's and must not be read as such.

import type { RemoteAction } from '../../../src/mdm';
import { AndroidConnector, type AndroidPolicy } from '../../../src/mdm/android/connector';
import type { ServiceAccountKeyJson } from '../../../src/mdm/android/settings';
import type { NativeState } from '../../../src/mdm/native';
import {
  type AndroidEmulator,
  createServiceAccountKey,
  DEFAULT_FAULTS,
  deviceCallCount,
  MESSENGERS,
  startAndroidEmulator,
} from '../../../src/sim/android';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../../sim/graph/helpers';
import type { ConformanceRig, ConformanceTarget, Faults, NativeSummary } from './harness';

const FAST_RETRY = { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 20_000 };
/** devices.list answers at most 100 devices a page. */
const PAGE_SIZE = 100;
/** Long enough that a command stays pending until completePendingActions, as a device that has not checked in. */
const OPERATION_LATENCY_MS = 10 * 60_000;

/** The emulator's call counter for each of Warden's actions (sync has no AMAPI command, so never any). */
const CALLS: Record<RemoteAction, string | null> = {
  wipe: 'delete',
  retire: 'delete',
  lock: 'issueCommand:LOCK',
  sync: null,
};

/** A policy as Warden's Android compiler would mark and shape it, placed in the enterprise at start. */
const WARDEN_POLICY_ID = 'warden.keep-work-chats-managed.android-policy';
const WARDEN_POLICY: AndroidPolicy = {
  applications: [
    { packageName: 'com.whatsapp', installType: 'BLOCKED' },
    { packageName: 'com.google.android.gm', installType: 'FORCE_INSTALLED' },
  ],
  crossProfilePolicies: {
    crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
    crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
    showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
  },
  personalUsagePolicies: {
    personalPlayStoreMode: 'BLOCKLIST',
    personalApplications: [{ packageName: 'com.whatsapp', installType: 'BLOCKED' }],
  },
  statusReportingSettings: { applicationReportsEnabled: true, deviceSettingsEnabled: true },
};

function connectorFor(emulator: AndroidEmulator, key: ServiceAccountKeyJson): AndroidConnector {
  return new AndroidConnector(
    { enterpriseName: emulator.enterpriseName, rootUrl: emulator.url, tokenUri: emulator.tokenUri },
    { type: 'service-account', key },
    { caPem: emulator.caPem, retry: FAST_RETRY },
  );
}

async function applyFaults(emulator: AndroidEmulator, faults: Faults, devices: number): Promise<void> {
  emulator.setFaults({
    throttleRate: faults.throttleRate ?? DEFAULT_FAULTS.throttleRate,
    throttleRetryAfter: faults.retryAfterSeconds !== null && faults.retryAfterSeconds !== undefined,
    retryAfterSeconds: faults.retryAfterSeconds ?? DEFAULT_FAULTS.retryAfterSeconds,
    serverErrorRate: faults.errorRate ?? DEFAULT_FAULTS.serverErrorRate,
    resetRate: faults.resetRate ?? DEFAULT_FAULTS.resetRate,
    latencyMs: faults.latencyMs ?? DEFAULT_FAULTS.latencyMs,
    truncateListingAfter: faults.truncateListing ? Math.max(1, Math.floor(devices / 2)) : null,
  });
}

/** A policy as both sides state it: its resource name, and every field but the name as the API holds them. */
/** What the emulator holds of Warden's policies, each field of a nested object named by its path. */
function heldSummary(policy: AndroidPolicy): NativeSummary[] {
  const id = String(policy.name);
  const shortId = id.slice(id.lastIndexOf('/') + 1);
  if (!shortId.startsWith('warden.')) return [];
  const { name: _name, version: _version, ...fields } = policy;
  const settings: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value && typeof value === 'object' && !Array.isArray(value))
      for (const [inner, v] of Object.entries(value)) settings[`${field}.${inner}`] = v;
    else settings[field] = value;
  }
  return [{ id, kind: 'policies', name: shortId, settings }];
}

const readSummary = (state: NativeState): NativeSummary => ({
  id: state.id,
  kind: state.collection,
  name: state.displayName,
  settings: state.properties,
});

export const androidTarget: ConformanceTarget = {
  name: 'android',
  // Device ids are 16 hex digits; the seeded fleet never draws this one.
  unknownDeviceId: '0000000000000000',
  actionsNotRepeatable: true,
  // Both are devices.delete: AMAPI keeps no record of it, the device simply answers 404 from then on.
  removesDevice: ['retire', 'wipe'],
  // AMAPI's device listing carries no total: a listing that stops without a nextPageToken looks complete.
  undetectable: ['truncated-listing'],
  readsNative: true,
  async start({ devices, seed }): Promise<ConformanceRig> {
    const emulator = await startAndroidEmulator({
      pkiDir: TEST_PKI_DIR,
      referenceTime: REFERENCE_TIME,
      devices,
      seed,
      operationLatencyMs: OPERATION_LATENCY_MS,
    });
    if (!emulator.serviceAccountKey) throw new Error('the Android emulator made no default service account');
    const key: ServiceAccountKeyJson = { ...emulator.serviceAccountKey };
    emulator.enterprise.policies.patch(WARDEN_POLICY_ID, structuredClone(WARDEN_POLICY), null);
    const connector = connectorFor(emulator, key);
    const active = () => emulator.enterprise.listed().filter((d) => d.state === 'ACTIVE');
    return {
      connector,
      connectorWithWrongCredentials: () =>
        // The same account, signed with a key the emulator does not know: Google answers 400 invalid_grant.
        connectorFor(emulator, {
          ...createServiceAccountKey(key.project_id, emulator.tokenUri),
          client_email: key.client_email,
        }),
      deviceIds: async () => emulator.enterprise.managedDeviceIds(),
      appIdentifiers: Object.values(MESSENGERS).map((messenger) => messenger.packageName),
      devicesHolding: async (identifier) => emulator.enterprise.devicesShowingApp(identifier),
      faults: (faults) => applyFaults(emulator, faults, devices),
      actionCalls: async (deviceExternalId, action) => {
        const call = CALLS[action];
        return call ? deviceCallCount(emulator.stats(), deviceExternalId, call) : 0;
      },
      completePendingActions: async () => {
        emulator.completePendingOperations();
      },
      pageSize: PAGE_SIZE,
      devicesFor: async (action) =>
        active()
          .filter((device) =>
            action === 'retire'
              ? device.ownership === 'PERSONALLY_OWNED' && device.managementMode === 'PROFILE_OWNER'
              : action === 'wipe'
                ? device.ownership === 'COMPANY_OWNED'
                : true,
          )
          .map((device) => device.id),
      native: {
        readBack: async () => (await connector.readNative()).map(readSummary),
        held: async () => emulator.enterprise.policies.list().flatMap(heldSummary),
      },
      stop: () => emulator.stop(),
    };
  },
};
