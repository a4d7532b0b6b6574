// Offboarding: when someone leaves, company data leaves their devices. A retire (company data and managed apps
// only) of every device they hold, across connections, under the action rules: it needs a second admin's
// approval, unless the person is known to have left (disabled or deleted in the directory) and a policy targeting
// their devices lists "retire" among its remediation steps, in which case it goes without approval. The
// directory-sync job offboards such departures by itself. What remains is the action's devices not yet confirmed.
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { SYSTEM_ACTOR } from '../auth/roles';
import type { ActionSafety } from '../config';
import { OWNER_STATE_SQL } from '../directory/sync';
import type { Logger } from '../log';
import { listPolicies } from '../policies/store';
import { type ActionView, requestAction } from './service';

export interface OffboardingResult {
  user: string;
  action: ActionView | null;
  /** Why no approval was needed, when none was. */
  automatic: string | null;
  /** Devices whose retire is not confirmed yet. */
  remaining: number;
  created: boolean;
}

interface HeldDevice {
  id: string;
  connection_id: string;
  connection_name: string;
  platform: string;
  user_external_id: string | null;
  departed: boolean;
}

/** The user's devices under management, and whether the directory says they left. */
async function devicesOf(knex: Knex, user: string): Promise<HeldDevice[]> {
  return knex('devices as d')
    .join('connections as c', 'c.id', 'd.connection_id')
    .leftJoin('directory_users as u', (j) =>
      j.on('u.connection_id', 'd.connection_id').andOn('u.external_id', 'd.user_external_id'),
    )
    .whereNull('d.gone_at')
    .where((q) => q.whereRaw('lower(d.user_principal_name) = lower(?)', [user]).orWhere('d.user_external_id', user))
    .orderBy('d.id')
    .select(
      'd.id',
      'd.connection_id',
      'c.name as connection_name',
      'd.platform',
      'd.user_external_id',
      knex.raw(`(${OWNER_STATE_SQL}) in ('disabled', 'deleted') as departed`),
    );
}

/** The policies that let a departed user's devices be retired without approval, for every one of the devices. */
async function automaticRetire(knex: Knex, devices: HeldDevice[]): Promise<string | null> {
  if (devices.length === 0 || !devices.every((d) => d.departed)) return null;
  const policies = (await listPolicies(knex)).map((v) => v.policy);
  const allowing = new Set<string>();
  for (const device of devices) {
    const policy = policies.find(
      (p) =>
        p.remediation?.steps?.includes('retire') &&
        (p.targets.connections.includes('all') || p.targets.connections.includes(device.connection_name)) &&
        (p.targets.platforms as string[]).includes(device.platform),
    );
    if (!policy) return null;
    allowing.add(policy.name);
  }
  return `the user left (disabled or deleted in the directory) and policy ${[...allowing].join(', ')} retires departed users' devices`;
}

export async function offboard(
  knex: Knex,
  safety: ActionSafety,
  request: { user: string; reason: string; idempotencyKey: string },
  by: { actor: Actor; requestId?: string | null },
): Promise<OffboardingResult> {
  const devices = await devicesOf(knex, request.user);
  if (devices.length === 0) return { user: request.user, action: null, automatic: null, remaining: 0, created: false };
  const automatic = await automaticRetire(knex, devices);
  const { action, created } = await requestAction(
    knex,
    safety,
    {
      kind: 'retire',
      devices: devices.map((d) => d.id),
      reason: request.reason,
      idempotencyKey: request.idempotencyKey,
    },
    by,
    new Date(),
    automatic,
  );
  const remaining = action.devices.filter((d) => d.state !== 'confirmed').length;
  return { user: request.user, action, automatic, remaining, created };
}

/**
 * After a directory sync: every departed user still holding devices whose policies allow it is offboarded
 * (once: the idempotency key is the user's). Returns how many users were offboarded now.
 */
export async function offboardDeparted(
  knex: Knex,
  safety: ActionSafety,
  connectionId: string,
  log: Logger,
): Promise<{ offboarded: number; refused: number }> {
  const departed: Array<{ external_id: string }> = await knex('devices as d')
    .join('connections as c', 'c.id', 'd.connection_id')
    .leftJoin('directory_users as u', (j) =>
      j.on('u.connection_id', 'd.connection_id').andOn('u.external_id', 'd.user_external_id'),
    )
    .where('d.connection_id', connectionId)
    .whereNull('d.gone_at')
    .whereRaw(`(${OWNER_STATE_SQL}) in ('disabled', 'deleted')`)
    .distinct('d.user_external_id as external_id');
  let offboarded = 0;
  let refused = 0;
  for (const { external_id: user } of departed) {
    const devices = await devicesOf(knex, user);
    if (!(await automaticRetire(knex, devices))) continue;
    try {
      const result = await offboard(
        knex,
        safety,
        { user, reason: 'the user left: disabled or deleted in the directory', idempotencyKey: `offboard:${user}` },
        { actor: SYSTEM_ACTOR },
      );
      if (result.created) offboarded++;
    } catch (error) {
      // A cap or a device with another action under way: the next sync tries again; people can act meanwhile.
      refused++;
      log.warn({ err: error, user }, 'could not offboard a departed user automatically');
    }
  }
  return { offboarded, refused };
}
