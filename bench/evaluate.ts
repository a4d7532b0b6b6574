// bench/evaluate: findings for a 100,000-device inventory, evaluated from scratch and then re-evaluated (the
// steady state after every sync), against PostgreSQL. Run: `npm run bench:evaluate` (BENCH_DEVICES).
import { randomUUID } from 'node:crypto';
import { CLI_ACTOR } from '../src/auth/roles';
import { evaluateFindings } from '../src/findings/evaluate';
import { upsertAppHits, upsertDevicePage } from '../src/inventory/store';
import type { AppHit, NormalizedDevice } from '../src/mdm/connector';
import { savePolicy } from '../src/policies/store';
import { withBenchDatabase } from './database';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);

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

async function main() {
  await withBenchDatabase('warden_bench_eval', async (db) => {
    const [{ id: connectionId }] = await db
      .knex('connections')
      .insert({
        name: 'contoso',
        kind: 'intune',
        settings: {},
        credentials_sealed: 'x',
        credential_type: 'client-secret',
      })
      .returning('id');
    const [{ id: runId }] = await db
      .knex('sync_runs')
      .insert({
        connection_id: connectionId,
        trigger: 'manual',
        worker: 'bench',
        started_at: new Date(),
        heartbeat_at: new Date(),
        outcome: 'succeeded',
      })
      .returning('id');
    for (let start = 0; start < DEVICES; start += 1000) {
      const page = Array.from({ length: Math.min(1000, DEVICES - start) }, (_, k) => device(start + k));
      await upsertDevicePage(db.knex, connectionId, runId, page);
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
      await upsertAppHits(db.knex, connectionId, hits);
    }
    await savePolicy(
      db.knex,
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
    const results = [];
    for (const label of ['first evaluation (all findings new)', 're-evaluation (steady state)']) {
      const started = process.hrtime.bigint();
      const counts = await evaluateFindings(db.knex);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      results.push({
        label,
        seconds: Number(seconds.toFixed(2)),
        devicesPerSecond: Math.round(counts.devices / seconds),
        ...counts,
      });
    }
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify({ devices: DEVICES, peakRssMb, results }, null, 2));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
