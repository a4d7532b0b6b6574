// A quick check that the Android conformance rig keeps its promises (the shared suite runs the real tests):
// a complete listing equals deviceIds(), a wrong key fails with auth, devicesFor names devices the action is
// allowed on, and action calls are counted.
import { androidTarget } from '../conformance/android';
import type { ConformanceRig } from '../conformance/harness';
import { collect } from './helpers';

let rig: ConformanceRig;

beforeAll(async () => {
  rig = await androidTarget.start({ devices: 250, seed: 11 });
});

afterAll(async () => {
  await rig.stop();
});

it('lists what the emulator holds, through faults', async () => {
  await rig.faults({ throttleRate: 0.3, retryAfterSeconds: null, errorRate: 0.05 });
  const devices = await collect(rig.connector.listDevices());
  await rig.faults({});
  expect(devices.map((d) => d.externalId).sort()).toEqual((await rig.deviceIds()).sort());
  expect(await rig.deviceIds()).toHaveLength(250);
});

it('fails a wrong key with auth', async () => {
  await expect(rig.connectorWithWrongCredentials().verify()).rejects.toMatchObject({ kind: 'auth' });
});

it('retires and wipes the devices deviceFor names, once each', async () => {
  for (const action of ['retire', 'wipe', 'lock'] as const) {
    const [id] = await rig.devicesFor!(action);
    if (!id) throw new Error(`no device for ${action}`);
    await rig.connector.sendAction(id, action);
    expect(await rig.actionCalls(id, action)).toBe(1);
  }
  const [locked] = await rig.devicesFor!('lock');
  await rig.completePendingActions();
  await expect(rig.connector.actionStatus(locked as string, 'lock')).resolves.toMatchObject({ state: 'done' });
});
