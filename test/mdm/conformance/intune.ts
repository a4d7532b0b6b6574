// The conformance rig for Intune: the Graph emulator with a seeded fleet (more than one 1000-row page), an
// IntuneConnector built by createConnector and pointed at it, and the emulator's truth read through its in-process
// test API (GraphEmulator: faults, stats, the tenant's devices, detected apps, device actions and policy store).
import { createConnector, type MdmConnector, type RemoteAction } from '../../../src/mdm';
import type { NativeState } from '../../../src/mdm/intune/native';
import { PAGE_SIZE } from '../../../src/mdm/intune/settings';
import {
  actionCount,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type GraphEmulator,
  POLICY_KINDS,
  type PolicySnapshot,
} from '../../../src/sim/graph';
import { startEmulator } from '../../sim/graph/helpers';
import type { ConformanceRig, ConformanceTarget, Faults, NativeSummary } from './harness';

/** Intune's bound action for each of Warden's remote actions (what the emulator counts). */
const GRAPH_ACTIONS: Record<RemoteAction, string> = {
  wipe: 'wipe',
  retire: 'retire',
  lock: 'remoteLock',
  sync: 'syncDevice',
};

/** Backoff in tens of milliseconds, so injected faults cost little time and every retry path still runs. */
const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200, budgetMs: 20_000 };

/** Long enough that an action stays pending until completePendingActions, as a device that has not checked in. */
const ACTION_LATENCY_MS = 10 * 60_000;

/** Messengers on both mobile platforms: the apps the policies watch. */
const MESSENGERS = ['com.whatsapp', 'net.whatsapp.WhatsApp', 'com.facebook.orca', 'org.telegram.messenger'];

/** Any group id: the emulator does not check assignment targets against its directory. */
const GROUP_ID = '0f4a5c6e-1b2d-4e3f-8a9b-0c1d2e3f4a5b';

/** Policy objects the rig places in the tenant, so native read-back compares something. */
const SEEDED_POLICIES = [
  {
    kind: 'androidManagedAppProtections',
    body: {
      '@odata.type': '#microsoft.graph.androidManagedAppProtection',
      displayName: 'Conformance Android MAM',
      allowedOutboundDataTransferDestinations: 'managedApps',
      saveAsBlocked: true,
      periodOfflineBeforeWipeIsEnforced: 'P30D',
    },
  },
  {
    kind: 'iosManagedAppProtections',
    body: {
      '@odata.type': '#microsoft.graph.iosManagedAppProtection',
      displayName: 'Conformance iOS MAM',
      dataBackupBlocked: true,
      appDataEncryptionType: 'whenDeviceLocked',
    },
  },
  {
    kind: 'deviceConfigurations',
    body: {
      '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration',
      displayName: 'Conformance iOS restrictions',
      iCloudBlockBackup: true,
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: GROUP_ID } }],
    },
  },
] as const;

/** The settings compared on read-back: every property the rig wrote on any object, and the type. */
const COMPARED_SETTINGS = [...new Set(SEEDED_POLICIES.flatMap((seed) => Object.keys(seed.body)))].filter(
  (name) => name !== 'displayName' && name !== 'assignments',
);

/** An object as both sides can state it; assignments reduced to their target groups. */
function summary(
  id: string,
  kind: string,
  properties: Record<string, unknown>,
  assignments: ReadonlyArray<Record<string, unknown>>,
): NativeSummary {
  const settings: Record<string, unknown> = Object.fromEntries(
    COMPARED_SETTINGS.filter((name) => name in properties).map((name) => [name, properties[name]]),
  );
  settings.assignedGroups = assignments
    .map((assignment) => String((assignment.target as { groupId?: unknown } | undefined)?.groupId))
    .sort();
  return { id, kind, name: String(properties.displayName ?? ''), settings };
}

function connectorFor(emulator: GraphEmulator, clientSecret: string): MdmConnector {
  return createConnector(
    {
      kind: 'intune',
      settings: {
        tenantId: emulator.tenantId,
        clientId: DEFAULT_CLIENT_ID,
        authorityHost: emulator.authorityHost,
        graphBaseUrl: emulator.url,
      },
      credentials: { type: 'client-secret', clientSecret },
    },
    { caPem: emulator.caPem, retry: FAST_RETRY },
  );
}

/** The harness's faults in the emulator's terms; every setting is given, so `{}` clears them all. */
function faultSettings(faults: Faults, devices: number) {
  return {
    throttleRate: faults.throttleRate ?? 0,
    throttleRetryAfter: faults.retryAfterSeconds !== null,
    retryAfterSeconds: faults.retryAfterSeconds ?? 1,
    serverErrorRate: faults.errorRate ?? 0,
    resetRate: faults.resetRate ?? 0,
    latencyMs: faults.latencyMs ?? 0,
    // Half the fleet: the listing ends on a page that looks like the last one.
    truncateListingAfter: faults.truncateListing ? Math.floor(devices / 2) : null,
  };
}

/**
 * A device checking in: every pending action on the devices that received one is reported done, and a retire or
 * wipe leaves its issued state (an explicit state replaces what the recorded actions would derive).
 */
function completeActions(emulator: GraphEmulator): void {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const deviceId of Object.keys(emulator.stats().actions)) {
    const device = emulator.tenant.getDevice(deviceId);
    if (!device) continue;
    const results = device.deviceActionResults ?? [];
    if (!results.some((result) => result.actionState === 'pending')) continue;
    const issued: Record<string, string> = { wipePending: 'wipeIssued', retirePending: 'retireIssued' };
    emulator.tenant.updateDevice(deviceId, {
      deviceActionResults: results.map((result) =>
        result.actionState === 'pending' ? { ...result, actionState: 'done', lastUpdatedDateTime: now } : result,
      ),
      managementState: (issued[device.managementState] ?? device.managementState) as typeof device.managementState,
      lastSyncDateTime: now,
    });
  }
}

async function start({ devices, seed }: { devices: number; seed: number }): Promise<ConformanceRig> {
  const emulator = await startEmulator({ devices, seed, actionLatencyMs: ACTION_LATENCY_MS });
  const { tenant } = emulator;
  for (const { kind, body } of SEEDED_POLICIES) tenant.policies.create(kind, structuredClone(body));
  const connector = connectorFor(emulator, DEFAULT_CLIENT_SECRET);
  return {
    connector,
    connectorWithWrongCredentials: () => connectorFor(emulator, 'not-the-secret'),
    deviceIds: async () => [...tenant.devices()].map((device) => device.id),
    appIdentifiers: MESSENGERS,
    devicesHolding: async (identifier) => {
      const wanted = identifier.toLowerCase();
      const holders = new Set<string>();
      for (const app of tenant.detectedApps()) {
        if (app.displayName?.toLowerCase() !== wanted) continue;
        for (const ordinal of tenant.deviceOrdinalsWithApp(app.id)) holders.add(tenant.deviceAt(ordinal).id);
      }
      return [...holders];
    },
    faults: async (faults) => emulator.setFaults(faultSettings(faults, devices)),
    actionCalls: async (deviceId, action) => actionCount(emulator.stats(), deviceId, GRAPH_ACTIONS[action]),
    completePendingActions: async () => completeActions(emulator),
    pageSize: PAGE_SIZE,
    native: {
      readBack: async () =>
        (await connector.readNative()).map((state: NativeState) =>
          summary(
            state.id,
            state.collection,
            { ...state.properties, displayName: state.displayName },
            state.assignments,
          ),
        ),
      held: async () =>
        POLICY_KINDS.flatMap((kind) =>
          tenant.policies
            .list(kind)
            .map((object: PolicySnapshot) => summary(object.id, kind, object, object.assignments)),
        ),
    },
    stop: () => emulator.stop(),
  };
}

export const intuneTarget: ConformanceTarget = {
  name: 'intune',
  // Graph pages managedDevices by 1000: a fleet of 1200 needs two pages and still lists in about 100 ms.
  devices: PAGE_SIZE + 200,
  unknownDeviceId: '4a0b1c2d-0000-4000-8000-000000000000',
  actionsNotRepeatable: true,
  readsNative: true,
  start,
};
