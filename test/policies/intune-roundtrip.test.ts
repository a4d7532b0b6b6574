// A policy against an emulated Intune tenant, through the real connector: plan, apply, plan again (no changes,
// twice, with the same hash); a setting changed in the console and a removed assignment show up as exactly
// those changes, and applying them restores the tenant; objects others made are never touched.
import { IntuneConnector } from '../../src/mdm/intune/connector';
import { compileForIntune } from '../../src/policies/compile/intune';
import type { Policy } from '../../src/policies/model';
import { describePlan, nativeChanges, planPolicy } from '../../src/policies/plan';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, type GraphEmulator, startGraphEmulator } from '../../src/sim/graph';

const POLICY: Policy = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'], groups: ['0f8fad5b-d9cb-469f-a165-70867728950e'] },
  controls: {
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'net.whatsapp.WhatsApp'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    crossProfileContacts: { mode: 'enforce', allowed: false },
    crossProfileDataSharing: { mode: 'enforce', direction: 'work-to-personal-blocked' },
    encryptionRequired: { mode: 'alert' },
  },
};

describe('a policy applied to an emulated Intune tenant', () => {
  let emulator: GraphEmulator;
  let connector: IntuneConnector;
  const compiled = compileForIntune(POLICY);
  const plan = async () => planPolicy(POLICY.name, compiled.objects, await connector.readNative());
  const totalWrites = () => Object.values(emulator.stats().writes).reduce((sum, count) => sum + count, 0);

  beforeAll(async () => {
    emulator = await startGraphEmulator({ pkiDir: '.warden/pki', devices: 20 });
    connector = new IntuneConnector(
      {
        tenantId: emulator.tenantId,
        clientId: DEFAULT_CLIENT_ID,
        authorityHost: emulator.authorityHost,
        graphBaseUrl: emulator.url,
      },
      { type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET },
      { caPem: emulator.caPem },
    );
  });
  afterAll(() => emulator?.stop());

  it('creates the objects, then plans no changes, twice, with the same hash', async () => {
    const first = await plan();
    expect(describePlan(first)).toBe(`${compiled.objects.length} to create`);
    await connector.applyNative(nativeChanges(first.steps));
    const again = await plan();
    const andAgain = await plan();
    expect(describePlan(again)).toBe('no changes');
    expect(andAgain.hash).toBe(again.hash);
    const held = await connector.readNative();
    expect(held).toHaveLength(compiled.objects.length);
    const compliance = held.filter((s) => s.collection === 'deviceCompliancePolicies');
    expect(compliance.map((s) => s.odataType).sort()).toEqual([
      '#microsoft.graph.androidWorkProfileCompliancePolicy',
      '#microsoft.graph.iosCompliancePolicy',
    ]);
  });

  it('plans exactly what was changed in the console, and applying it restores the tenant', async () => {
    const held = await connector.readNative();
    const android = held.find((s) => s.collection === 'androidManagedAppProtections')!;
    const workProfile = held.find((s) => s.odataType.endsWith('androidWorkProfileGeneralDeviceConfiguration'))!;
    emulator.tenant.policies.update('androidManagedAppProtections', android.id, { dataBackupBlocked: false });
    emulator.tenant.policies.removeAssignment(
      'deviceConfigurations',
      workProfile.id,
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    emulator.tenant.policies.create('deviceConfigurations', {
      '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration',
      displayName: 'made by hand',
      description: 'not Warden',
    });

    const drifted = await plan();
    const updates = drifted.steps.flatMap((s) =>
      s.action === 'update' ? s.changes.map((c) => [s.key, c.setting, c.current, c.desired]) : [],
    );
    expect(updates).toEqual([
      ['android-app-protection', 'dataBackupBlocked', false, true],
      [
        'android-work-profile',
        'assignments',
        [],
        [{ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: '0f8fad5b-d9cb-469f-a165-70867728950e' }],
      ],
    ]);
    expect(drifted.steps.some((s) => s.action === 'delete' || s.action === 'create')).toBe(false);

    const writesBefore = totalWrites();
    await connector.applyNative(nativeChanges(drifted.steps));
    const writesAfter = totalWrites();
    expect(writesAfter - writesBefore).toBe(2); // one PATCH, one assign
    expect(describePlan(await plan())).toBe('no changes');
    expect((await connector.readNative()).some((s) => s.displayName === 'made by hand')).toBe(true);
  });

  it('creates each object once when writes fail after taking effect, and converges to no changes', async () => {
    const faulty = await startGraphEmulator({ pkiDir: '.warden/pki', devices: 5, seed: 42 });
    try {
      const flaky = new IntuneConnector(
        {
          tenantId: faulty.tenantId,
          clientId: DEFAULT_CLIENT_ID,
          authorityHost: faulty.authorityHost,
          graphBaseUrl: faulty.url,
        },
        { type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET },
        { caPem: faulty.caPem, retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 8 } },
      );
      const descriptions = () =>
        (
          [
            'androidManagedAppProtections',
            'iosManagedAppProtections',
            'deviceConfigurations',
            'deviceCompliancePolicies',
          ] as const
        )
          .flatMap((kind) => faulty.tenant.policies.list(kind))
          .map((o) => String(o.description));
      // Half of all requests fail; a 504 on a write comes after the write took effect.
      faulty.setFaults({ serverErrorRate: 0.5 });
      let ambiguous = 0;
      for (let round = 0; round < 12; round++) {
        const current = planPolicy(POLICY.name, compiled.objects, await flaky.readNative());
        if (!current.changes) break;
        try {
          await flaky.applyNative(nativeChanges(current.steps));
        } catch (error) {
          if ((error as { outcomeUnknown?: boolean }).outcomeUnknown) ambiguous++;
          else if ((error as { kind?: string }).kind !== 'transient') throw error;
        }
        // Never two objects carrying the same marker, whatever failed.
        expect(new Set(descriptions()).size).toBe(descriptions().length);
      }
      faulty.setFaults({ serverErrorRate: 0 });
      expect(describePlan(planPolicy(POLICY.name, compiled.objects, await flaky.readNative()))).toBe('no changes');
      expect(descriptions()).toHaveLength(compiled.objects.length);
      // Some creates really did take effect behind a 504 (so the marker lookup, not luck, kept them single).
      const createsAnswered504 = Object.entries(faulty.stats().requests)
        .filter(([template]) => /^POST .*(Protections|Configurations|Policies)$/.test(template))
        .reduce((sum, [, statuses]) => sum + (statuses['504'] ?? 0), 0);
      expect(createsAnswered504).toBeGreaterThan(0);
      expect(ambiguous).toBeLessThan(12);
    } finally {
      await faulty.stop();
    }
  }, 60_000);
});
