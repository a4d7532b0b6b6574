// Test data with sensible defaults; each test overrides what it is about.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EvaluatedDevice } from '../../src/findings/rules';
import type { NormalizedDevice } from '../../src/mdm/connector';

let serial = 0;

export function aDevice(overrides: Partial<NormalizedDevice> = {}): NormalizedDevice {
  serial++;
  const externalId = overrides.externalId ?? randomUUID();
  return {
    externalId,
    name: `device-${String(serial).padStart(5, '0')}`,
    platform: 'android',
    osVersion: '14',
    model: 'Pixel 8',
    manufacturer: 'Google',
    serialNumber: `SN${serial}`,
    ownership: 'personal',
    enrollmentMode: 'work-profile',
    supervised: null,
    encrypted: true,
    jailbroken: false,
    compliance: 'compliant',
    managementState: 'managed',
    user: {
      externalId: `user-${serial}`,
      principalName: `user${serial}@contoso.example`,
      displayName: `User ${serial}`,
      email: null,
    },
    enrolledAt: new Date('2026-01-01T00:00:00Z'),
    // An hour ago: a fixed date would turn stale (and raise stale-check-in findings) as the calendar moves on.
    lastCheckInAt: new Date(Date.now() - 3_600_000),
    native: { id: externalId, deviceName: `device-${serial}` },
    ...overrides,
  };
}

/** A connection row straight in the database, for tests that do not go through the API. */
export async function aConnection(knex: Knex, name = `tenant-${randomUUID().slice(0, 8)}`): Promise<string> {
  const [row] = await knex('connections')
    .insert({
      name,
      kind: 'intune',
      settings: { tenantId: 't', clientId: randomUUID() },
      credentials_sealed: 'x',
      credential_type: 'client-secret',
    })
    .returning('id');
  return row.id;
}

export async function aSyncRun(
  knex: Knex,
  connectionId: string,
  outcome: 'running' | 'succeeded' = 'succeeded',
): Promise<number> {
  const now = new Date();
  const [row] = await knex('sync_runs')
    .insert({
      connection_id: connectionId,
      trigger: 'manual',
      worker: 'test',
      started_at: now,
      heartbeat_at: now,
      outcome,
    })
    .returning('id');
  return row.id;
}

/** A device as the finding and alignment rules see it: a personal Android phone with a work profile, in order. */
export function anEvaluatedDevice(overrides: Partial<EvaluatedDevice> = {}): EvaluatedDevice {
  return {
    id: 'd1',
    connectionId: 'c1',
    platform: 'android',
    ownership: 'personal',
    enrollmentMode: 'work-profile',
    encrypted: true,
    jailbroken: false,
    compliance: 'compliant',
    lastCheckInAt: new Date('2026-11-21T12:00:00Z'),
    apps: [],
    owner: { state: 'active', externalId: 'u1', principalName: 'ana@contoso.example' },
    ...overrides,
  };
}
