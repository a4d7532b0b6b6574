// The connector conformance suite: the same tests for every MDM connector, run against its emulator through a
// rig (harness.ts). It proves what Warden relies on whatever the MDM: listings complete across pages and under
// throttling, 5xx and resets, or failing as MdmError('incomplete'); errors sorted into kinds; apps found per app;
// device actions sent once, confirmed from the MDM (or the device seen gone where the action removes it) and never
// resent blindly; native state read back as held. What a target declares its MDM cannot show is skipped, and the
// skipped test's title says why.
import {
  MdmError,
  type NormalizedDevice,
  type RemoteAction,
  type RemoteActionStatus,
  type RequestStats,
} from '../../../src/mdm';
import type { ConformanceRig, ConformanceTarget, ConformingConnector } from './harness';

const SEED = 7;
const DEFAULT_DEVICES = 250;
/** Faulty listings are repeated until the faults were met; the seeded emulators meet them well before this. */
const MAX_FAULTY_RUNS = 12;

async function collect<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    items.push(...page);
    count++;
  }
  return { items, pages: count };
}

/** What a failing iteration threw, and what it yielded before; fails the test if the iteration succeeds. */
async function collectFailure<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const page of pages) items.push(...page);
  } catch (error) {
    return { items, error };
  }
  throw new Error('the iteration was expected to throw, and ended as if complete');
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

/** The actions every target is asked to carry out (sync is not: the Android Management API has no such command). */
const ACTIONS: readonly RemoteAction[] = ['lock', 'retire', 'wipe'];

/** Asserts the MDM holds the action, begun between `from` and `to` (emulators may keep whole seconds only). */
function expectStartedWithin(status: RemoteActionStatus, from: number, to: number): void {
  expect(status.startedAt).toBeInstanceOf(Date);
  const started = (status.startedAt as Date).getTime();
  expect(started).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
  expect(started).toBeLessThanOrEqual(to);
}

function spentSince(connector: ConformingConnector, before: RequestStats): RequestStats {
  const now = connector.stats();
  return {
    requests: now.requests - before.requests,
    throttled: now.throttled - before.throttled,
    retried: now.retried - before.retried,
  };
}

export function describeConformance(target: ConformanceTarget): void {
  const devices = target.devices ?? DEFAULT_DEVICES;
  const truncationUndetectable = target.undetectable?.includes('truncated-listing') ?? false;

  describe(`${target.name} connector conformance`, () => {
    let rig: ConformanceRig;
    let fleet: string[];
    /** Devices already given an action, so each action test starts on a device with none. */
    const used = new Set<string>();

    beforeAll(async () => {
      rig = await target.start({ devices, seed: SEED });
      fleet = sorted(await rig.deviceIds());
    });
    afterAll(async () => {
      await rig?.stop();
    });
    beforeEach(async () => {
      await rig.faults({});
    });

    /** Asserts a listing holds every emulator device exactly once. */
    function expectComplete(listed: NormalizedDevice[]): void {
      const ids = listed.map((device) => device.externalId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(sorted(ids)).toEqual(fleet);
    }

    /** Lists until the connector's stats show the faults were met (or the runs are spent), each listing complete. */
    async function listUnderFaults(met: (spent: RequestStats) => boolean): Promise<RequestStats> {
      const before = rig.connector.stats();
      for (let run = 0; run < MAX_FAULTY_RUNS && !met(spentSince(rig.connector, before)); run++) {
        expectComplete((await collect(rig.connector.listDevices())).items);
      }
      return spentSince(rig.connector, before);
    }

    async function freshDevice(action: RemoteAction): Promise<string> {
      const candidates = rig.devicesFor ? await rig.devicesFor(action) : fleet;
      const device = candidates.find((id) => !used.has(id));
      if (!device) throw new Error(`the rig offers no unused device for ${action}`);
      used.add(device);
      return device;
    }

    it('lists every emulator device exactly once, across more than one page', async () => {
      expect(devices).toBeGreaterThan(rig.pageSize);
      expect(fleet).toHaveLength(devices);
      const { items, pages } = await collect(rig.connector.listDevices());
      expectComplete(items);
      expect(pages).toBeGreaterThanOrEqual(2);
    });

    it('lists completely under 30% 429 with a short Retry-After, counting throttles and retries', async () => {
      await rig.faults({ throttleRate: 0.3, retryAfterSeconds: 0 });
      const spent = await listUnderFaults((s) => s.throttled > 0 && s.retried > 0);
      expect(spent.throttled).toBeGreaterThan(0);
      expect(spent.retried).toBeGreaterThan(0);
    });

    it('lists completely under 30% 429 without Retry-After, backing off on its own', async () => {
      await rig.faults({ throttleRate: 0.3, retryAfterSeconds: null });
      const spent = await listUnderFaults((s) => s.throttled > 0 && s.retried > 0);
      expect(spent.throttled).toBeGreaterThan(0);
      expect(spent.retried).toBeGreaterThan(0);
    });

    it('lists completely under 5% 5xx and 5% connection resets, retrying them', async () => {
      await rig.faults({ errorRate: 0.05, resetRate: 0.05 });
      const spent = await listUnderFaults((s) => s.retried > 0);
      expect(spent.retried).toBeGreaterThan(0);
      expect(spent.throttled).toBe(0);
    });

    (truncationUndetectable ? it.skip : it)(
      truncationUndetectable
        ? `rejects a silently truncated listing: skipped, ${target.name}'s API reports no total, so a listing cut short without a continuation token cannot be told from a complete one`
        : 'rejects a silently truncated listing with MdmError incomplete, never ending as if complete',
      async () => {
        await rig.faults({ truncateListing: true });
        const { items, error } = await collectFailure(rig.connector.listDevices());
        expect(error).toBeInstanceOf(MdmError);
        expect(error).toMatchObject({ kind: 'incomplete' });
        expect(items.length).toBeLessThan(fleet.length);
      },
    );

    it('sorts a wrong credential into MdmError auth, for verify and for a listing', async () => {
      const wrong = rig.connectorWithWrongCredentials();
      await expect(wrong.verify()).rejects.toMatchObject({ kind: 'auth', credentialBroken: true });
      const { items, error } = await collectFailure(wrong.listDevices());
      expect(error).toBeInstanceOf(MdmError);
      expect(error).toMatchObject({ kind: 'auth' });
      expect(items).toEqual([]);
    });

    (target.unknownDeviceId ? it : it.skip)(
      'sorts an action on an unknown device into MdmError not-found',
      async () => {
        const unknown = target.unknownDeviceId as string;
        expect(fleet).not.toContain(unknown);
        const sending = rig.connector.sendAction(unknown, 'lock');
        await expect(sending).rejects.toBeInstanceOf(MdmError);
        await expect(sending).rejects.toMatchObject({ kind: 'not-found' });
        expect(await rig.actionCalls(unknown, 'lock')).toBe(0);
      },
    );

    it('finds exactly the devices the emulator says hold each watched app', async () => {
      const { items: hits } = await collect(rig.connector.devicesWithApps(rig.appIdentifiers));
      const pairs = hits.map((hit) => `${hit.appExternalId} ${hit.deviceExternalId}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      let holders = 0;
      for (const identifier of rig.appIdentifiers) {
        const expected = sorted(new Set(await rig.devicesHolding(identifier)));
        const found = hits.filter((hit) => hit.identifier.toLowerCase() === identifier.toLowerCase());
        expect({ identifier, devices: sorted(new Set(found.map((hit) => hit.deviceExternalId))) }).toEqual({
          identifier,
          devices: expected,
        });
        holders += expected.length;
      }
      expect(holders).toBeGreaterThan(0);
    });

    /** A command the device picks up: pending until it checks in, then done, and the device still managed. */
    async function commandRoundTrip(action: RemoteAction): Promise<void> {
      const device = await freshDevice(action);
      expect(await rig.connector.actionStatus(device, action)).toEqual({ state: 'none', startedAt: null });
      expect(await rig.actionCalls(device, action)).toBe(0);
      const sentFrom = Date.now();
      await rig.connector.sendAction(device, action);
      const sentBy = Date.now();
      expect(await rig.actionCalls(device, action)).toBe(1);
      const pending = await rig.connector.actionStatus(device, action);
      expect(pending.state).toBe('pending');
      expectStartedWithin(pending, sentFrom, sentBy);
      await rig.completePendingActions();
      const done = await rig.connector.actionStatus(device, action);
      expect(done).toEqual({ state: 'done', startedAt: pending.startedAt });
      expect(await rig.connector.actionStatus(device, action)).toEqual(done);
      expect(await rig.actionCalls(device, action)).toBe(1);
      // Not a removal: the MDM still holds the device.
      expect(await rig.deviceIds()).toContain(device);
    }

    /** An action that ends the device's management: gone at once, and from then on, in status and listings. */
    async function removalRoundTrip(action: RemoteAction): Promise<void> {
      const device = await freshDevice(action);
      expect(await rig.connector.actionStatus(device, action)).toEqual({ state: 'none', startedAt: null });
      expect(await rig.actionCalls(device, action)).toBe(0);
      await rig.connector.sendAction(device, action);
      expect(await rig.actionCalls(device, action)).toBe(1);
      // 'gone' is a retire's or wipe's end: the MDM holds no action record any more, so no start either.
      const gone: RemoteActionStatus = { state: 'gone', startedAt: null };
      expect(await rig.connector.actionStatus(device, action)).toEqual(gone);
      await rig.completePendingActions();
      expect(await rig.connector.actionStatus(device, action)).toEqual(gone);
      expect(await rig.actionCalls(device, action)).toBe(1);
      // The emulator no longer manages it, and a complete listing says the same: the fleet is one device less.
      const remaining = sorted(await rig.deviceIds());
      expect(remaining).toEqual(fleet.filter((id) => id !== device));
      fleet = remaining;
      expectComplete((await collect(rig.connector.listDevices())).items);
    }

    for (const action of ACTIONS) {
      if (target.removesDevice?.includes(action)) {
        it(`sends ${action} once, then sees the device gone from management, in its status and in listings, without resending`, () =>
          removalRoundTrip(action));
      } else {
        it(`sends ${action} once, sees it pending, then done once the device checks in, without resending`, () =>
          commandRoundTrip(action));
      }
    }

    (target.actionsNotRepeatable ? it : it.skip)(
      'never resends an action whose send met a 5xx, and says its outcome is unknown',
      async () => {
        const device = await freshDevice('lock');
        // A read first, so credentials are fetched before every request starts failing.
        expect((await rig.connector.actionStatus(device, 'lock')).state).toBe('none');
        await rig.faults({ errorRate: 1 });
        const before = rig.connector.stats();
        const error = await rig.connector.sendAction(device, 'lock').then(
          () => null,
          (failure: unknown) => failure,
        );
        await rig.faults({});
        expect(error).toBeInstanceOf(MdmError);
        expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true, retryable: false });
        expect(spentSince(rig.connector, before).retried).toBe(0);
        expect(await rig.actionCalls(device, 'lock')).toBeLessThanOrEqual(1);
      },
    );

    (target.readsNative ? it : it.skip)(
      'reads back the native policy objects exactly as the emulator holds them, under throttling too',
      async () => {
        const native = rig.native;
        if (!native) throw new Error(`${target.name} sets readsNative but its rig has no native read-back`);
        const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
        const held = (await native.held()).sort(byId);
        expect(held.length).toBeGreaterThan(0);
        expect((await native.readBack()).sort(byId)).toEqual(held);
        await rig.faults({ throttleRate: 0.3, retryAfterSeconds: 0 });
        const before = rig.connector.stats();
        for (let run = 0; run < MAX_FAULTY_RUNS && spentSince(rig.connector, before).throttled === 0; run++) {
          expect((await native.readBack()).sort(byId)).toEqual(held);
        }
        expect(spentSince(rig.connector, before).throttled).toBeGreaterThan(0);
      },
    );
  });
}
