// The benchmark fleet: one Intune connection with N devices in a deterministic mix (a third iOS, half personal;
// some stale, unencrypted, jailbroken, noncompliant, outside a work profile, a fifth with WhatsApp) and one policy
// over them, stored through the production inventory and policy code. Shared by bench/evaluate and bench/posture.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { CLI_ACTOR } from '../src/auth/roles';
import { refreshStatisticsAfterGrowth } from '../src/db/statistics';
import { upsertAppHits, upsertDevicePage } from '../src/inventory/store';
import type { AppHit, NormalizedDevice } from '../src/mdm/connector';
import { savePolicy } from '../src/policies/store';

/** A deterministic mix: some stale, unencrypted, jailbroken, noncompliant, outside a work profile, with WhatsApp. */
function device(i: number): NormalizedDevice {
  const id = randomUUID();
  return {
    externalId: id,
    name: `device-${i}`,
    platform: i % 3 === 0 ? 'ios' : 'android',
    osVersion: '14',
    model: 'model',
    manufacturer: 'maker',
    serialNumber: `SN${i}`,
    ownership: i % 2 === 0 ? 'personal' : 'company',
    enrollmentMode: i % 17 === 0 ? 'legacy-admin' : i % 2 === 0 ? 'work-profile' : 'fully-managed',
    supervised: null,
    encrypted: i % 23 !== 0,
    jailbroken: i % 97 === 0,
    compliance: i % 11 === 0 ? 'noncompliant' : 'compliant',
    managementState: 'managed',
    user: {
      externalId: `u${i % 5000}`,
      principalName: `user${i % 5000}@contoso.example`,
      displayName: null,
      email: null,
    },
    enrolledAt: new Date('2026-01-01T00:00:00Z'),
    lastCheckInAt: new Date(Date.now() - (i % 29) * 86_400_000),
    native: { id },
  };
}

/** Stores the connection, a sync run, `devices` devices with their WhatsApp hits, and the policy. */
export async function seedFleet(knex: Knex, devices: number): Promise<{ connectionId: string }> {
  const [{ id: connectionId }] = await knex('connections')
    .insert({
      name: 'contoso',
      kind: 'intune',
      settings: {},
      credentials_sealed: 'x',
      credential_type: 'client-secret',
    })
    .returning('id');
  const [{ id: runId }] = await knex('sync_runs')
    .insert({
      connection_id: connectionId,
      trigger: 'manual',
      worker: 'bench',
      started_at: new Date(),
      heartbeat_at: new Date(),
      outcome: 'succeeded',
    })
    .returning('id');
  for (let start = 0; start < devices; start += 1000) {
    const page = Array.from({ length: Math.min(1000, devices - start) }, (_, k) => device(start + k));
    await upsertDevicePage(knex, connectionId, runId, page);
    const hits: AppHit[] = page
      .filter((_, k) => (start + k) % 5 === 0)
      .map((d, k) => ({
        identifier: 'com.whatsapp',
        appExternalId: 'wa',
        displayName: null,
        version: '2.24',
        scope: k % 4 === 0 ? 'work-profile' : 'device',
        deviceExternalId: d.externalId,
      }));
    await upsertAppHits(knex, connectionId, hits);
  }
  // What the sync does after a first sync of this size (src/inventory/sync.ts).
  await refreshStatisticsAfterGrowth(knex, ['devices', 'device_apps'], devices);
  await savePolicy(
    knex,
    'messengers',
    {
      policy: {
        name: 'messengers',
        targets: { connections: ['all'], platforms: ['android', 'ios'] },
        controls: {
          workProfileRequired: { mode: 'enforce' },
          blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
          encryptionRequired: { mode: 'alert' },
          staleCheckIn: { mode: 'alert', days: 14 },
        },
      },
      reason: 'bench',
    },
    { actor: CLI_ACTOR },
  );
  return { connectionId };
}
