// Remote actions through Jamf Pro. wipe, lock and sync are MDM commands (`POST /v2/mdm/commands`, addressed by
// the device's managementId; their state read back from `GET /v2/mdm/commands`). retire has no MDM command in
// Jamf: its nearest real equivalent is unmanaging the device (`POST /v2/mobile-devices/{id}/unmanage`; for a
// Mac `POST /v1/computer-inventory/{id}/remove-mdm-profile`, both newer than the 2024 reference document). The
// MDM profile's removal takes every managed app, its data and the managed profiles with it (on User
// Enrollment the whole managed volume), which is what Intune's retire does; unlike Intune, the device record
// stays in Jamf, marked unmanaged, and Jamf cannot send it anything afterwards (no wipe after a retire).
import type { RemoteAction, RemoteActionStatus } from '../connector';
import { MdmError } from '../errors';
import type { components } from './api-types';
import type { JamfClient } from './client';
import { type DeviceRef, parseExternalId } from './mapping';

type MdmCommandType = components['schemas']['MdmCommandType'];
type MdmCommandRequest = components['schemas']['MdmCommandRequest'];
type MdmCommandResults = components['schemas']['MdmCommandResults'];
type MobileDeviceV2 = components['schemas']['MobileDeviceV2'];
type MobileDeviceDetailsV2 = components['schemas']['MobileDeviceDetailsV2'];
type ComputerInventorySearchResults = components['schemas']['ComputerInventorySearchResults'];

/** The MDM command behind each action that is one; retire is an unmanage (see the header). */
export const JAMF_COMMANDS: Record<Exclude<RemoteAction, 'retire'>, MdmCommandType> = {
  wipe: 'ERASE_DEVICE',
  lock: 'DEVICE_LOCK',
  // What Jamf's "Update Inventory" sends a mobile device: the device reports its inventory back.
  sync: 'DEVICE_INFORMATION',
};

const USER_ENROLLMENT: ReadonlySet<string> = new Set(['UserEnrollment', 'AccountDrivenUserEnrollment']);

interface DeviceFacts {
  managementId: string | null;
  managed: boolean | null;
  /** Mobile devices: how Jamf says the device is owned (e.g. Institutional, UserEnrollment). */
  ownership: string | null;
}

/**
 * managementIds by external id: fixed for the life of a device record, so learnt once (by a status read) and
 * reused, which lets a command go out as a single request.
 */
export type ManagementIds = Map<string, string>;

/** The device's managementId (what commands address) and whether Jamf still manages it; null when gone. */
async function factsOf(
  client: JamfClient,
  ref: DeviceRef,
  ids: ManagementIds,
  signal?: AbortSignal,
): Promise<DeviceFacts | null> {
  const facts = await readFacts(client, ref, signal);
  if (facts?.managementId) ids.set(`${ref.kind}:${ref.id}`, facts.managementId);
  return facts;
}

async function readFacts(client: JamfClient, ref: DeviceRef, signal?: AbortSignal): Promise<DeviceFacts | null> {
  try {
    if (ref.kind === 'mobile') {
      const short = (await client.send('GET', `/api/v2/mobile-devices/${ref.id}`, { signal })).body as MobileDeviceV2;
      const detail = (await client.send('GET', `/api/v2/mobile-devices/${ref.id}/detail`, { signal }))
        .body as MobileDeviceDetailsV2;
      return {
        managementId: short.managementId ?? null,
        managed: detail.managed ?? null,
        ownership: detail.deviceOwnershipLevel ?? null,
      };
    }
    const query = { section: 'GENERAL', filter: `id==${ref.id}`, 'page-size': '1' };
    const page = (await client.send('GET', '/api/v1/computers-inventory', { query, signal }))
      .body as ComputerInventorySearchResults;
    const general = page.results?.[0]?.general;
    if (!general) return null;
    return {
      managementId: general.managementId ?? null,
      managed: general.remoteManagement?.managed ?? null,
      ownership: null,
    };
  } catch (error) {
    if (error instanceof MdmError && error.kind === 'not-found') return null;
    throw error;
  }
}

export async function sendAction(
  client: JamfClient,
  deviceExternalId: string,
  action: RemoteAction,
  ids: ManagementIds,
  signal?: AbortSignal,
): Promise<void> {
  const ref = parseExternalId(deviceExternalId);
  if (action === 'retire') {
    const path =
      ref.kind === 'mobile'
        ? `/api/v2/mobile-devices/${ref.id}/unmanage`
        : `/api/v1/computer-inventory/${ref.id}/remove-mdm-profile`;
    await client.send('POST', path, { signal });
    return;
  }
  if (ref.kind === 'computer' && action === 'lock') {
    // Jamf requires a six-digit PIN to lock a Mac, and whoever unlocks it needs that PIN: Warden keeps none yet.
    throw new MdmError('invalid', 'locking a Mac through Jamf needs a PIN, which Warden does not manage');
  }
  let managementId = ids.get(deviceExternalId);
  // A wipe always reads the device first: Apple lets no MDM erase a User Enrollment device (the person's own
  // phone); its company data leaves with an unmanage, which is a retire.
  if (!managementId || action === 'wipe') {
    const facts = await factsOf(client, ref, ids, signal);
    if (!facts) throw new MdmError('not-found', `Jamf Pro holds no device ${deviceExternalId}`);
    if (!facts.managementId) throw new MdmError('invalid', `Jamf Pro reports no managementId for ${deviceExternalId}`);
    if (action === 'wipe' && facts.ownership && USER_ENROLLMENT.has(facts.ownership)) {
      throw new MdmError(
        'invalid',
        `refusing to wipe ${deviceExternalId}: it is a User Enrollment device (${facts.ownership}), which Apple does not let an MDM erase; send a retire instead`,
      );
    }
    managementId = facts.managementId;
  }
  const commandType = JAMF_COMMANDS[action];
  const commandData = (
    commandType === 'ERASE_DEVICE'
      ? { commandType, preserveDataPlan: false, disallowProximitySetup: false }
      : { commandType }
  ) as MdmCommandRequest['commandData'];
  const body: MdmCommandRequest = { clientData: [{ managementId }], commandData };
  await client.send('POST', '/api/v2/mdm/commands', { json: body, signal });
}

export async function actionStatus(
  client: JamfClient,
  deviceExternalId: string,
  action: RemoteAction,
  ids: ManagementIds,
  signal?: AbortSignal,
): Promise<RemoteActionStatus> {
  const ref = parseExternalId(deviceExternalId);
  const facts = await factsOf(client, ref, ids, signal);
  // An unmanaged record (or none at all) is a retire's end; for a command it means nothing more will happen.
  if (!facts || facts.managed === false) return { state: 'gone', startedAt: null };
  if (action === 'retire' || !facts.managementId) return { state: 'none', startedAt: null };
  const query = {
    filter: `clientManagementId==${facts.managementId};command==${JAMF_COMMANDS[action]}`,
    sort: 'dateSent:desc',
    'page-size': '1',
  };
  const results = ((await client.send('GET', '/api/v2/mdm/commands', { query, signal })).body as MdmCommandResults)
    .results;
  const latest = results?.[0];
  if (!latest) return { state: 'none', startedAt: null };
  const startedAt = latest.dateSent ? new Date(latest.dateSent) : null;
  switch (latest.commandState) {
    case 'ACKNOWLEDGED':
      return { state: 'done', startedAt };
    case 'ERROR':
      return { state: 'failed', startedAt };
    default:
      // PENDING, and NOT_NOW (the device was busy and will be asked again).
      return { state: 'pending', startedAt };
  }
}
