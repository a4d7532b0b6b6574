// The conformance rig for Jamf Pro: the Jamf emulator with a seeded fleet of `devices` (a tenth of them Macs,
// every record managed), a JamfConnector pointed at it with fast retries and small pages (so the suite walks
// several), the emulator's truth, and its fault knobs in the harness's terms. A retire is Jamf's unmanage, so it
// ends with the device gone from management; lock and wipe are MDM commands. Native read-back compares the
// restrictions profiles the rig places in the emulator's Classic API store with what the connector's
// readNative makes of them (restriction keys as settings, scope as assignments).
import type { RemoteAction } from '../../../src/mdm';
import { JamfConnector } from '../../../src/mdm/jamf';
import { JAMF_COMMANDS } from '../../../src/mdm/jamf/actions';
import { type ClassicProfile, profileToXml } from '../../../src/mdm/jamf/classic-profile';
import { assignmentsOf } from '../../../src/mdm/jamf/native';
import { decodePlist, encodePlist, type PlistValue } from '../../../src/mdm/jamf/plist';
import { restrictionsPlist } from '../../../src/mdm/jamf/restrictions';
import { type NativeState, parseMarker } from '../../../src/mdm/native';
import { DEFAULT_FAULTS } from '../../../src/sim/graph';
import { type JamfEmulator, MESSENGERS, PROFILES_PATH, startJamfEmulator } from '../../../src/sim/jamf';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../../sim/graph/helpers';
import type { ConformanceRig, ConformanceTarget, Faults, NativeSummary } from './harness';

const PAGE_SIZE = 100;
const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 20_000 };
const PROFILE_KIND = 'mobiledeviceconfigurationprofiles';
const USER_ENROLLMENT: readonly string[] = ['UserEnrollment', 'AccountDrivenUserEnrollment'];
const RESTRICTIONS = 'com.apple.applicationaccess';
/** Warden's marker in a profile's description, `[warden:<policy>/<key>]`. */
const MARKER = /\[warden:([^/\]]+)\/([^\]]+)\]/;

function connectorFor(emulator: JamfEmulator, clientSecret: string): JamfConnector {
  return new JamfConnector(
    { baseUrl: emulator.url },
    { type: 'client-credentials', clientId: emulator.clientId, clientSecret },
    { caPem: emulator.caPem, retry: FAST_RETRY, pageSize: PAGE_SIZE },
  );
}

/**
 * A Warden profile as an admin may find it in Jamf: its restrictions payload beside a payload Warden did not
 * write (Wi-Fi), keys in Apple's order, written by hand rather than by the connector.
 */
const HAND_WRITTEN_PAYLOADS = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>AutoJoin</key><true/>
      <key>SSID_STR</key><string>Corp &amp; Guests</string>
      <key>PayloadType</key><string>com.apple.wifi.managed</string>
      <key>PayloadVersion</key><integer>1</integer>
      <key>PayloadIdentifier</key><string>com.example.wifi</string>
      <key>PayloadUUID</key><string>6A3C1F0E-2B4D-4E5F-8A9B-0C1D2E3F4A5B</string>
    </dict>
    <dict>
      <key>allowCloudBackup</key><false/>
      <key>allowManagedAppsCloudSync</key><false/>
      <key>allowOpenFromManagedToUnmanaged</key><false/>
      <key>requireManagedPasteboard</key><true/>
      <key>blockedAppBundleIDs</key>
      <array><string>net.whatsapp.WhatsApp</string><string>com.facebook.Messenger</string></array>
      <key>PayloadType</key><string>${RESTRICTIONS}</string>
      <key>PayloadVersion</key><integer>1</integer>
      <key>PayloadIdentifier</key><string>com.example.restrictions</string>
      <key>PayloadUUID</key><string>0B1C2D3E-4F5A-4B6C-8D7E-9F0A1B2C3D4E</string>
    </dict>
  </array>
  <key>PayloadDisplayName</key><string>Work chats (edited in Jamf)</string>
  <key>PayloadIdentifier</key><string>com.example.profile</string>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadUUID</key><string>1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>`;

/** Profiles the rig places in the emulator: two of Warden's (by marker) and one it must leave alone. */
const SEEDED_PROFILES: ClassicProfile[] = [
  {
    name: 'Warden: keep work chats managed (iOS)',
    description: 'Managed by Warden policy keep-work-chats-managed [warden:keep-work-chats-managed/ios-restrictions]',
    payloads: HAND_WRITTEN_PAYLOADS,
    scope: {
      allMobileDevices: false,
      mobileDeviceIds: ['3', '5'],
      mobileDeviceGroups: [{ id: '12', name: 'All Employees' }],
    },
  },
  {
    name: 'Warden: backups (iOS)',
    description: '[warden:no-work-backups/ios-restrictions]',
    payloads: restrictionsPlist({
      policy: 'no-work-backups',
      key: 'ios-restrictions',
      name: 'Warden: backups (iOS)',
      restrictions: { allowCloudBackup: false, forceEncryptedBackup: true, allowCloudDocumentSync: false },
      scope: { allMobileDevices: true, mobileDeviceIds: [], mobileDeviceGroups: [] },
    }),
    scope: { allMobileDevices: true, mobileDeviceIds: [], mobileDeviceGroups: [] },
  },
  {
    name: 'Camera off in the lab',
    // No marker: someone else's profile, which Warden never reads back as its own.
    description: 'Made in Jamf by the lab team',
    payloads: encodePlist({
      PayloadContent: [
        {
          allowCamera: false,
          PayloadType: RESTRICTIONS,
          PayloadVersion: 1,
          PayloadIdentifier: 'com.example.lab.restrictions',
          PayloadUUID: '2D3E4F5A-6B7C-4D8E-9F0A-1B2C3D4E5F6A',
        },
      ],
      PayloadDisplayName: 'Camera off in the lab',
      PayloadIdentifier: 'com.example.lab',
      PayloadType: 'Configuration',
      PayloadUUID: '3E4F5A6B-7C8D-4E9F-8A1B-2C3D4E5F6A7B',
      PayloadVersion: 1,
    }),
    scope: { allMobileDevices: false, mobileDeviceIds: [], mobileDeviceGroups: [{ id: '4', name: 'Lab' }] },
  },
];

/** Creates the profiles through the emulator's own Classic API handler (a POST to id/0, as Jamf's UI saves). */
function seedProfiles(emulator: JamfEmulator): void {
  for (const profile of SEEDED_PROFILES) {
    const answer = emulator.profiles.handle({
      method: 'POST',
      path: `${PROFILES_PATH}/id/0`,
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/xml' },
      body: profileToXml(profile),
    });
    if (answer.status !== 201) throw new Error(`the Jamf emulator refused the seeded profile ${profile.name}`);
  }
}

function isDict(value: PlistValue | undefined): value is { [key: string]: PlistValue } {
  return typeof value === 'object' && !Array.isArray(value);
}

/** The restrictions payload's keys other than Payload* bookkeeping, read from the stored plist. */
function heldRestrictions(payloads: string): Record<string, PlistValue> {
  const root = decodePlist(payloads);
  const content = isDict(root) ? root.PayloadContent : undefined;
  const payload = (Array.isArray(content) ? content : []).filter(isDict).find((p) => p.PayloadType === RESTRICTIONS);
  if (!payload) throw new Error('a seeded Warden profile holds no restrictions payload');
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !key.startsWith('Payload')));
}

/** What the emulator holds of Warden's profiles (those whose description carries the marker). */
function heldProfiles(emulator: JamfEmulator): NativeSummary[] {
  return emulator.profiles.all().flatMap((profile) => {
    const marker = MARKER.exec(profile.description);
    if (!marker) return [];
    return [
      {
        id: profile.id,
        kind: PROFILE_KIND,
        name: profile.name,
        settings: {
          marker: `${marker[1]}/${marker[2]}`,
          description: profile.description,
          restrictions: heldRestrictions(profile.payloads),
          scope: assignmentsOf(profile.scope),
        },
      },
    ];
  });
}

function readBackSummary(state: NativeState): NativeSummary {
  const marker = parseMarker(state.description);
  return {
    id: state.id,
    kind: PROFILE_KIND,
    name: state.displayName,
    settings: {
      marker: marker && `${marker.policy}/${marker.key}`,
      description: state.description,
      restrictions: state.properties,
      scope: state.assignments,
    },
  };
}

export const jamfTarget: ConformanceTarget = {
  name: 'jamf',
  // Ids are sequential from 1: the fleet never reaches this one.
  unknownDeviceId: 'mobile:99999999',
  // A command is a POST that is never resent after a 5xx (the connector learns the managementId on a read first).
  actionsNotRepeatable: true,
  // Retire is an unmanage: the record turns unmanaged at once and leaves the managed listing; wipe is a command.
  removesDevice: ['retire'],
  readsNative: true,
  async start({ devices, seed }): Promise<ConformanceRig> {
    const emulator = await startJamfEmulator({
      pkiDir: TEST_PKI_DIR,
      referenceTime: REFERENCE_TIME,
      mobileDevices: devices - Math.ceil(devices / 10),
      computers: Math.ceil(devices / 10),
      seed,
      commandLatencyMs: null,
      // Every record managed, so the fleet is exactly `devices` devices.
      unmanagedShare: 0,
    });
    seedProfiles(emulator);
    const connector = connectorFor(emulator, emulator.clientSecret);
    return {
      connector,
      connectorWithWrongCredentials: () => connectorFor(emulator, `${emulator.clientSecret}-wrong`),
      deviceIds: async () => [
        ...emulator.fleet.mobileDevices.filter((d) => d.managed).map((d) => `mobile:${d.id}`),
        ...emulator.fleet.computers.filter((c) => c.managed).map((c) => `computer:${c.id}`),
      ],
      appIdentifiers: MESSENGERS.map((m) => m.identifier),
      devicesHolding: async (identifier) => emulator.fleet.mobileDevicesHolding(identifier).map((id) => `mobile:${id}`),
      faults: async (faults: Faults) => {
        emulator.setFaults({
          ...DEFAULT_FAULTS,
          throttleRate: faults.throttleRate ?? 0,
          throttleRetryAfter: faults.retryAfterSeconds !== null,
          retryAfterSeconds: faults.retryAfterSeconds ?? 0,
          serverErrorRate: faults.errorRate ?? 0,
          resetRate: faults.resetRate ?? 0,
          latencyMs: faults.latencyMs ?? 0,
          truncateListingAfter: faults.truncateListing ? Math.floor(devices / 2) : null,
        });
      },
      actionCalls: async (deviceExternalId: string, action: RemoteAction) => {
        const [kind, id] = deviceExternalId.split(':') as [string, string];
        const stats = emulator.stats();
        if (action === 'retire') return stats.unmanaged[deviceExternalId] ?? 0;
        const device = kind === 'mobile' ? emulator.fleet.mobileDevice(id) : emulator.fleet.computer(id);
        return device ? (stats.commands[`${device.managementId}:${JAMF_COMMANDS[action]}`] ?? 0) : 0;
      },
      completePendingActions: async () => {
        emulator.completePendingCommands();
      },
      // Locking a Mac needs a PIN Warden does not manage: actions go to managed mobile devices.
      // Apple lets no MDM erase a User Enrollment device: a wipe is offered only the others.
      devicesFor: async (action) =>
        emulator.fleet.mobileDevices
          .filter((d) => d.managed && (action !== 'wipe' || !USER_ENROLLMENT.includes(d.ownershipType)))
          .map((d) => `mobile:${d.id}`),
      pageSize: PAGE_SIZE,
      native: {
        readBack: async () => (await connector.readNative()).map(readBackSummary),
        held: async () => heldProfiles(emulator),
      },
      stop: () => emulator.stop(),
    };
  },
};
