// Remote actions over the Android Management API, and what the API can tell of them afterwards.
// - wipe: devices.delete with WIPE_EXTERNAL_STORAGE, company-owned devices only (a factory reset). AMAPI cannot
//   factory-reset a personally owned phone: deleting one removes only its work profile, so a wipe is refused.
// - retire: devices.delete of a personally owned work-profile phone (removes the work profile only). On any other
//   device a delete is a factory reset, so a retire is refused rather than turned into one.
// - lock: issueCommand LOCK; its Operation is the record (done once the device acknowledged it).
// - sync: AMAPI has no such command (devices report on the schedule their policy sets and Google pushes policy
//   changes itself), so it is refused with MdmError('invalid') rather than faked as a no-op that reports success.
// Deletes and commands are sent once: a 5xx or a reset is thrown with outcomeUnknown, never resent here.
// AMAPI keeps no record of a delete: the device simply answers 404 from then on, so a wipe or retire reads as
// 'gone' once carried out and as 'none' while the device still exists.
import type { androidmanagement_v1 } from '@googleapis/androidmanagement';
import type { RemoteAction, RemoteActionStatus } from '../connector';
import { MdmError } from '../errors';
import type { AmapiClient } from './client';
import { walkPages } from './paging';

type Operation = androidmanagement_v1.Schema$Operation;

export interface ActionContext {
  client: AmapiClient;
  enterpriseName: string;
  signal?: AbortSignal;
}

const WIPE_MESSAGE = 'This device was wiped by your organisation.';
const RETIRE_MESSAGE = 'Your organisation removed the work profile from this device.';

export function deviceNameOf(enterpriseName: string, deviceExternalId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(deviceExternalId)) {
    throw new MdmError('invalid', `'${deviceExternalId}' is not an Android Management API device id`);
  }
  return `${enterpriseName}/devices/${deviceExternalId}`;
}

export async function sendAction(context: ActionContext, deviceExternalId: string, action: RemoteAction) {
  const { client, signal } = context;
  const name = deviceNameOf(context.enterpriseName, deviceExternalId);
  const devices = client.api.enterprises.devices;
  if (action === 'sync') {
    throw new MdmError(
      'invalid',
      'the Android Management API has no sync command: devices report on the schedule their policy sets',
    );
  }
  if (action === 'lock') {
    await client.call((options) => devices.issueCommand({ name, requestBody: { type: 'LOCK' } }, options), {
      signal,
      once: true,
    });
    return;
  }
  // A GET first (safe to retry): whether a delete is a wipe or a retire depends on the device.
  const device = await client.call((options) => devices.get({ name }, options), { signal });
  const personalWorkProfile = device.ownership === 'PERSONALLY_OWNED' && device.managementMode === 'PROFILE_OWNER';
  if (action === 'retire' && !personalWorkProfile) {
    throw new MdmError(
      'invalid',
      `refusing to retire ${deviceExternalId}: it is ${device.ownership ?? 'of unknown ownership'} (${device.managementMode ?? 'unknown mode'}), and deleting it would factory-reset the whole device; send a wipe if that is meant`,
    );
  }
  if (action === 'wipe' && device.ownership !== 'COMPANY_OWNED') {
    throw new MdmError(
      'invalid',
      `refusing to wipe ${deviceExternalId}: the Android Management API cannot factory-reset a device that is not company-owned (deleting it removes only the work profile); send a retire instead`,
    );
  }
  await client.call(
    (options) =>
      devices.delete(
        {
          name,
          ...(action === 'wipe' ? { wipeDataFlags: ['WIPE_EXTERNAL_STORAGE'] } : {}),
          wipeReasonMessage: action === 'wipe' ? WIPE_MESSAGE : RETIRE_MESSAGE,
        },
        options,
      ),
    { signal, once: true },
  );
}

export async function actionStatus(
  context: ActionContext,
  deviceExternalId: string,
  action: RemoteAction,
): Promise<RemoteActionStatus> {
  const { client, signal } = context;
  const name = deviceNameOf(context.enterpriseName, deviceExternalId);
  const devices = client.api.enterprises.devices;
  if (action === 'sync') return { state: 'none', startedAt: null };
  try {
    if (action === 'wipe' || action === 'retire') {
      await client.call((options) => devices.get({ name }, options), { signal });
      return { state: 'none', startedAt: null };
    }
    const latest = await latestCommand(context, name, 'LOCK');
    if (!latest) return { state: 'none', startedAt: null };
    const created = (latest.metadata as { createTime?: unknown } | null | undefined)?.createTime;
    const startedAt = typeof created === 'string' && !Number.isNaN(Date.parse(created)) ? new Date(created) : null;
    if (!latest.done) return { state: 'pending', startedAt };
    // google.rpc.Code 1 is CANCELLED.
    if (latest.error) return { state: latest.error.code === 1 ? 'canceled' : 'failed', startedAt };
    return { state: 'done', startedAt };
  } catch (error) {
    if (error instanceof MdmError && error.kind === 'not-found') return { state: 'gone', startedAt: null };
    throw error;
  }
}

/** The device's most recent command of this type, from its operations (every page). */
async function latestCommand(context: ActionContext, deviceName: string, type: string): Promise<Operation | null> {
  const operations = context.client.api.enterprises.devices.operations;
  let latest: Operation | null = null;
  let latestAt = Number.NEGATIVE_INFINITY;
  const pages = walkPages<Operation>(
    'the device operations listing',
    async (pageToken) => {
      const page = await context.client.call(
        (options) =>
          operations.list(
            { name: `${deviceName}/operations`, pageSize: 100, pageToken: pageToken ?? undefined },
            options,
          ),
        { signal: context.signal },
      );
      return { items: page.operations ?? [], nextPageToken: page.nextPageToken ?? null };
    },
    (operation) => operation.name ?? '',
  );
  for await (const page of pages) {
    for (const operation of page) {
      const metadata = (operation.metadata ?? {}) as { type?: unknown; createTime?: unknown };
      if (metadata.type !== type) continue;
      const at = typeof metadata.createTime === 'string' ? Date.parse(metadata.createTime) : Number.NaN;
      if (latest === null || (!Number.isNaN(at) && at >= latestAt)) {
        latest = operation;
        latestAt = Number.isNaN(at) ? latestAt : at;
      }
    }
  }
  return latest;
}
