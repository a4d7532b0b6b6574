// The fault table for inventory sync (issue 8): for each MDM (Intune, Jamf Pro, Android Management), each fault
// its emulator can inject is turned on and a whole sync runs through the production path (syncConnection: the
// real connector over HTTPS, page writes into PostgreSQL). Each faulty sync goes into a connection of its own, so
// every device it should store is new: a device it fails to store is lost, one stored twice is duplicated. After
// each the stored devices are compared with the emulator's and the watched-app holders with a clean sync's.
// A truncated listing runs against a connection synced cleanly before: it must fail and mark nothing gone, on
// Android too, where the API gives no total to check (the sync's shrink guard holds it), and the next clean sync
// must be exact. The figures go to test-artifacts/sync-faults.json for bench/RESULTS.md.
import fs from 'node:fs';
import path from 'node:path';
import { type SyncResult, syncConnection } from '../../src/inventory/sync';
import { type AndroidEmulator, androidEmulatorConnection, startAndroidEmulator } from '../../src/sim/android';
import { emulatorConnection, type GraphEmulator } from '../../src/sim/graph';
import type { FaultSettings } from '../../src/sim/graph/faults';
import { type JamfEmulator, jamfEmulatorConnection, startJamfEmulator } from '../../src/sim/jamf';
import { REFERENCE_TIME, startEmulator, TEST_PKI_DIR } from '../sim/graph/helpers';
import { startTestApi, type TestApi } from '../support/api';

const ARTIFACT = path.join(__dirname, '..', '..', 'test-artifacts', 'sync-faults.json');
const RETRY = { maxAttempts: 12, baseDelayMs: 5, maxDelayMs: 100, budgetMs: 60_000 };

interface Mdm {
  name: 'intune' | 'jamf' | 'android';
  connectionBody: () => Record<string, unknown>;
  deviceIds: () => string[];
  setFaults: (faults: Partial<FaultSettings>) => void;
  /** The emulator's own counts of what it injected. */
  injected: () => Record<Counter, number>;
}

type Counter = 'throttled' | 'serverErrors' | 'resets';
/** Each fault, and the emulator counter that must show it was injected (none for latency). */
const FAULTS: Array<{ fault: string; settings: Partial<FaultSettings>; counter?: Counter }> = [
  {
    fault: '30% 429 with Retry-After',
    settings: { throttleRate: 0.3, throttleRetryAfter: true, retryAfterSeconds: 1 },
    counter: 'throttled',
  },
  {
    fault: '30% 429 without Retry-After',
    settings: { throttleRate: 0.3, throttleRetryAfter: false },
    counter: 'throttled',
  },
  { fault: '20% 5xx', settings: { serverErrorRate: 0.2 }, counter: 'serverErrors' },
  { fault: '30% connection resets', settings: { resetRate: 0.3 }, counter: 'resets' },
  { fault: '100 ms latency on every request', settings: { latencyMs: 100 } },
];
const CLEAR: Partial<FaultSettings> = {
  throttleRate: 0,
  serverErrorRate: 0,
  resetRate: 0,
  latencyMs: 0,
  truncateListingAfter: null,
};

interface Row {
  mdm: string;
  fault: string;
  devices: number;
  /** Faults the emulator injected during the sync (429s, 5xx or resets, as the fault says). */
  injected: number;
  outcome: string;
  lost: number;
  duplicated: number;
  extra: number;
  holdersLost: number;
  holdersExtra: number;
  markedGone: number;
}

describe('inventory sync under injected faults, for every MDM', () => {
  let graph: GraphEmulator;
  let jamf: JamfEmulator;
  let android: AndroidEmulator;
  let api: TestApi;
  let mdms: Mdm[];
  const rows: Row[] = [];

  beforeAll(async () => {
    [graph, jamf, android] = await Promise.all([
      startEmulator({ devices: 3000, seed: 91 }),
      startJamfEmulator({
        pkiDir: TEST_PKI_DIR,
        referenceTime: REFERENCE_TIME,
        mobileDevices: 600,
        computers: 60,
        seed: 92,
      }),
      startAndroidEmulator({ pkiDir: TEST_PKI_DIR, referenceTime: REFERENCE_TIME, devices: 800, seed: 93 }),
    ]);
    api = await startTestApi({ config: { extraCaPem: graph.caPem } });
    mdms = [
      {
        name: 'intune',
        connectionBody: () => emulatorConnection(graph),
        deviceIds: () => [...graph.tenant.devices()].map((d) => d.id),
        setFaults: (faults) => graph.setFaults(faults),
        injected: () => graph.stats(),
      },
      {
        name: 'jamf',
        connectionBody: () => jamfEmulatorConnection(jamf),
        deviceIds: () => [
          ...jamf.fleet.mobileDevices.filter((d) => d.managed).map((d) => `mobile:${d.id}`),
          ...jamf.fleet.computers.filter((c) => c.managed).map((c) => `computer:${c.id}`),
        ],
        setFaults: (faults) => jamf.setFaults(faults),
        injected: () => jamf.stats(),
      },
      {
        name: 'android',
        connectionBody: () => androidEmulatorConnection(android),
        deviceIds: () => android.enterprise.managedDeviceIds(),
        setFaults: (faults) => android.setFaults(faults),
        injected: () => android.stats(),
      },
    ];
  }, 60_000);
  afterAll(async () => {
    if (rows.length) {
      fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
      fs.writeFileSync(ARTIFACT, `${JSON.stringify(rows, null, 2)}\n`);
    }
    await api?.close();
    await Promise.all([graph?.stop(), jamf?.stop(), android?.stop()]);
  });

  let connections = 0;
  const newConnection = async (mdm: Mdm): Promise<string> => {
    const created = await api.request<{ id: string }>('POST', '/v1/connections', {
      body: { name: `${mdm.name}-${++connections}`, ...mdm.connectionBody() },
    });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  const sync = (connectionId: string): Promise<SyncResult> =>
    syncConnection(
      {
        knex: api.db.knex,
        log: api.log,
        secretBox: api.secretBox,
        extraCaPem: graph.caPem,
        connectorOptions: { retry: RETRY },
      },
      { connectionId, trigger: 'manual', worker: 'test' },
    );
  /** What a connection holds now: devices not gone (and how often each external id is stored), app holders. */
  const stored = async (connectionId: string) => {
    const devices = await api.db
      .knex('devices')
      .where({ connection_id: connectionId })
      .select('external_id', 'gone_at');
    const apps = await api.db
      .knex('device_apps as a')
      .join('devices as d', 'd.id', 'a.device_id')
      .where({ 'd.connection_id': connectionId, 'a.removed_at': null })
      .select('d.external_id', 'a.identifier', 'a.scope');
    const times = new Map<string, number>();
    for (const device of devices) times.set(device.external_id, (times.get(device.external_id) ?? 0) + 1);
    return {
      present: new Set(devices.filter((r) => r.gone_at === null).map((r) => r.external_id as string)),
      duplicated: [...times.values()].filter((n) => n > 1).length,
      markedGone: devices.filter((r) => r.gone_at !== null).length,
      holders: new Set(apps.map((a) => `${a.external_id} ${a.identifier} ${a.scope}`)),
    };
  };
  const missingFrom = (want: Iterable<string>, have: Set<string>) => [...want].filter((x) => !have.has(x)).length;
  const record = async (
    mdm: Mdm,
    fault: string,
    connectionId: string,
    result: SyncResult,
    reference: Set<string>,
    injected = 0,
  ) => {
    const truth = new Set(mdm.deviceIds());
    const mine = await stored(connectionId);
    const row: Row = {
      mdm: mdm.name,
      fault,
      devices: truth.size,
      injected,
      outcome: result.outcome === 'failed' ? `failed (${result.errorKind})` : result.outcome,
      lost: missingFrom(truth, mine.present),
      duplicated: mine.duplicated,
      extra: missingFrom(mine.present, truth),
      holdersLost: missingFrom(reference, mine.holders),
      holdersExtra: missingFrom(mine.holders, reference),
      markedGone: mine.markedGone,
    };
    rows.push(row);
    return row;
  };

  for (const name of ['intune', 'jamf', 'android'] as const) {
    it(`${name}: every fault still stores exactly the MDM's devices; a truncated listing marks nothing gone`, async () => {
      const mdm = mdms.find((m) => m.name === name)!;
      const baselineId = await newConnection(mdm);
      const clean = await sync(baselineId);
      expect(clean.outcome).toBe('succeeded');
      const reference = (await stored(baselineId)).holders;
      expect(reference.size).toBeGreaterThan(0);
      const zero = { lost: 0, duplicated: 0, extra: 0, holdersLost: 0, holdersExtra: 0, markedGone: 0 };
      expect(await record(mdm, 'none (clean first sync)', baselineId, clean, reference)).toMatchObject({
        outcome: 'succeeded',
        ...zero,
      });

      for (const { fault, settings, counter } of FAULTS) {
        // A small fleet makes few requests, and a rate can miss them all: the fault stays on, and syncs go into
        // fresh connections, until the emulator has injected it at least once. Every one of them must be exact.
        let injectedInAll = 0;
        for (let attempt = 1; attempt <= 5 && (attempt === 1 || injectedInAll === 0); attempt++) {
          const connectionId = await newConnection(mdm);
          const before = counter ? mdm.injected()[counter] : 0;
          mdm.setFaults(settings);
          let result: SyncResult;
          try {
            result = await sync(connectionId);
          } finally {
            mdm.setFaults(CLEAR);
          }
          const injected = counter ? mdm.injected()[counter] - before : 0;
          injectedInAll += injected;
          // Latency leaves no counter: a sync makes several requests one after another, each that much slower.
          if (settings.latencyMs && result.outcome === 'succeeded')
            expect(result.counts.durationMs).toBeGreaterThanOrEqual(2 * settings.latencyMs);
          expect(await record(mdm, fault, connectionId, result, reference, injected)).toMatchObject({
            fault,
            outcome: 'succeeded',
            ...zero,
          });
          if (!counter) break;
        }
        if (counter) expect([fault, injectedInAll > 0]).toEqual([fault, true]);
      }

      // The listing stops after half the devices, without saying so, on a connection that holds them all.
      mdm.setFaults({ truncateListingAfter: Math.floor(mdm.deviceIds().length / 2) });
      let truncated: SyncResult;
      try {
        truncated = await sync(baselineId);
      } finally {
        mdm.setFaults(CLEAR);
      }
      expect(truncated).toMatchObject({ outcome: 'failed', errorKind: 'incomplete' });
      if (name === 'android') expect(truncated.outcome === 'failed' && truncated.counts.goneHeld).toBeGreaterThan(0);
      expect(
        await record(mdm, 'listing truncated at half, no sign of it', baselineId, truncated, reference),
      ).toMatchObject(zero);
      const after = await sync(baselineId);
      expect(after).toMatchObject({ outcome: 'succeeded', counts: { gone: 0 } });
      expect(await record(mdm, 'clean sync after the truncated one', baselineId, after, reference)).toMatchObject({
        outcome: 'succeeded',
        ...zero,
      });
    }, 120_000);
  }

  it('marks a fleet that really shrank by more than the guard one sync later, never on the first listing', async () => {
    const intune = mdms.find((m) => m.name === 'intune')!;
    const connectionId = await newConnection(intune);
    expect((await sync(connectionId)).outcome).toBe('succeeded');
    // A third of the tenant unenrolled at once (a reorganisation, a tenant split): more than the 25% default.
    const leaving = [...graph.tenant.devices()].filter((_, i) => i % 3 === 0).map((d) => d.id);
    for (const id of leaving) graph.tenant.removeDevice(id);
    const held = await sync(connectionId);
    expect(held).toMatchObject({ outcome: 'failed', errorKind: 'incomplete', counts: { goneHeld: leaving.length } });
    expect(held.outcome === 'failed' && held.error).toContain('WARDEN_SYNC_GONE_GUARD_PERCENT');
    expect((await stored(connectionId)).markedGone).toBe(0);
    const confirmed = await sync(connectionId);
    expect(confirmed).toMatchObject({ outcome: 'succeeded', counts: { gone: leaving.length } });
    const mine = await stored(connectionId);
    expect([mine.markedGone, missingFrom(intune.deviceIds(), mine.present)]).toEqual([leaving.length, 0]);
    // The sync after that has nothing held before it: a later shrink is held again.
    expect((await sync(connectionId)).outcome).toBe('succeeded');
  }, 60_000);
});
