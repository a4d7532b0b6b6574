// Remote actions and policies through the Android connector over real HTTPS: a lock sent once and confirmed by
// its operation; a retire removing only a personal phone's work profile, confirmed as gone; refusals where a
// delete would do something else than asked; a wipe whose answer is a 5xx is never resent; policies patched
// and read back.
import type { MdmError } from '../../../src/mdm/errors';
import { type AndroidEmulator, deviceCallCount, type SimDevice } from '../../../src/sim/android';
import { androidConnector, failureOf, startEmulator } from './helpers';

let emulator: AndroidEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ devices: 200, seed: 3, operationLatencyMs: 60_000 });
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => emulator.setFaults({ throttleRate: 0, serverErrorRate: 0, resetRate: 0 }));

const used = new Set<string>();
/** A fresh active device of this kind (each test acts on its own). */
function device(predicate: (d: SimDevice) => boolean): SimDevice {
  const found = emulator.enterprise.listed().find((d) => d.state === 'ACTIVE' && !used.has(d.id) && predicate(d));
  if (!found) throw new Error('no such device in the fleet');
  used.add(found.id);
  return found;
}
const personal = (d: SimDevice) => d.ownership === 'PERSONALLY_OWNED' && d.managementMode === 'PROFILE_OWNER';
const company = (d: SimDevice) => d.ownership === 'COMPANY_OWNED';

it('sends a lock once and confirms it through its operation', async () => {
  const target = device(company);
  const connector = androidConnector(emulator);
  await expect(connector.actionStatus(target.id, 'lock')).resolves.toEqual({ state: 'none', startedAt: null });
  await connector.sendAction(target.id, 'lock');
  expect(deviceCallCount(emulator.stats(), target.id, 'issueCommand:LOCK')).toBe(1);
  const pending = await connector.actionStatus(target.id, 'lock');
  expect(pending.state).toBe('pending');
  expect(pending.startedAt).toBeInstanceOf(Date);
  emulator.completePendingOperations();
  await expect(connector.actionStatus(target.id, 'lock')).resolves.toMatchObject({ state: 'done' });
  expect(deviceCallCount(emulator.stats(), target.id, 'issueCommand:LOCK')).toBe(1);
});

it('retires a personal work-profile phone: only the work profile goes, and the device reads as gone', async () => {
  const target = device(personal);
  const connector = androidConnector(emulator);
  await expect(connector.actionStatus(target.id, 'retire')).resolves.toMatchObject({ state: 'none' });
  await connector.sendAction(target.id, 'retire');
  expect(emulator.enterprise.deleteEffect(target.id)).toBe('work-profile-removed');
  expect(emulator.enterprise.deleteFlags(target.id)).toEqual([]);
  await expect(connector.actionStatus(target.id, 'retire')).resolves.toEqual({ state: 'gone', startedAt: null });
  expect(deviceCallCount(emulator.stats(), target.id, 'delete')).toBe(1);
});

it('refuses to retire a company device (it would factory-reset) and to wipe a personal one', async () => {
  const connector = androidConnector(emulator);
  const owned = device((d) => d.managementMode === 'DEVICE_OWNER');
  const retire = await failureOf(connector.sendAction(owned.id, 'retire'));
  expect(retire).toMatchObject({ kind: 'invalid' });
  expect((retire as MdmError).message).toMatch(/factory-reset/);
  const byod = device(personal);
  await expect(connector.sendAction(byod.id, 'wipe')).rejects.toMatchObject({ kind: 'invalid' });
  expect(
    deviceCallCount(emulator.stats(), owned.id, 'delete') + deviceCallCount(emulator.stats(), byod.id, 'delete'),
  ).toBe(0);
});

it('wipes a company device with WIPE_EXTERNAL_STORAGE: a factory reset', async () => {
  const target = device(company);
  await androidConnector(emulator).sendAction(target.id, 'wipe');
  expect(emulator.enterprise.deleteEffect(target.id)).toBe('factory-reset');
  expect(emulator.enterprise.deleteFlags(target.id)).toEqual(['WIPE_EXTERNAL_STORAGE']);
});

it.each([
  { status: 503, afterHandling: false, carriedOut: false, state: 'none' },
  { status: 504, afterHandling: true, carriedOut: true, state: 'gone' },
  { status: 'reset', afterHandling: false, carriedOut: false, state: 'none' },
  { status: 'reset', afterHandling: true, carriedOut: true, state: 'gone' },
] as const)('never resends a wipe that met $status (carried out: $carriedOut); its status tells', async (failure) => {
  const target = device(company);
  const connector = androidConnector(emulator);
  emulator.resetStats();
  emulator.failNextWrite({ status: failure.status, afterHandling: failure.afterHandling });
  const error = await failureOf(connector.sendAction(target.id, 'wipe'));
  expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true, retryable: false });
  const deletes = emulator.stats().requests['DELETE /v1/enterprises/{e}/devices/{d}'] ?? {};
  expect(Object.values(deletes).reduce((sum, n) => sum + n, 0)).toBe(1);
  expect(deviceCallCount(emulator.stats(), target.id, 'delete')).toBe(failure.carriedOut ? 1 : 0);
  await expect(connector.actionStatus(target.id, 'wipe')).resolves.toMatchObject({ state: failure.state });
});

it('never resends a lock that met a 5xx', async () => {
  const target = device(company);
  const connector = androidConnector(emulator);
  emulator.resetStats();
  emulator.failNextWrite({ status: 500, afterHandling: false });
  await expect(connector.sendAction(target.id, 'lock')).rejects.toMatchObject({ outcomeUnknown: true });
  expect(emulator.stats().requests['POST /v1/enterprises/{e}/devices/{d}:issueCommand']).toEqual({ '500': 1 });
  await expect(connector.actionStatus(target.id, 'lock')).resolves.toMatchObject({ state: 'none' });
});

it('retries a throttled delete: a 429 was refused, not carried out', async () => {
  const target = device(personal);
  const connector = androidConnector(emulator);
  emulator.resetStats();
  emulator.setFaults({ throttleRate: 0.5 });
  await connector.sendAction(target.id, 'retire');
  emulator.setFaults({ throttleRate: 0 });
  expect(deviceCallCount(emulator.stats(), target.id, 'delete')).toBe(1);
});

it('refuses sync: AMAPI has no such command', async () => {
  const target = device(company);
  await expect(androidConnector(emulator).sendAction(target.id, 'sync')).rejects.toMatchObject({ kind: 'invalid' });
});

it('patches a Warden policy and reads it back', async () => {
  const connector = androidConnector(emulator);
  const name = connector.wardenPolicyName('keep-work-chats-managed', 'android-policy');
  expect(name).toBe(`${emulator.enterpriseName}/policies/warden.keep-work-chats-managed.android-policy`);
  const body = {
    applications: [
      { packageName: 'com.whatsapp', installType: 'BLOCKED' },
      { packageName: 'com.facebook.orca', installType: 'BLOCKED' },
    ],
    personalUsagePolicies: { personalPlayStoreMode: 'BLOCKLIST' },
    crossProfilePolicies: {
      crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
      showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
    },
    statusReportingSettings: { applicationReportsEnabled: true },
  };
  const first = await connector.patchPolicy(name, body);
  expect(first).toMatchObject({ ...body, name, version: '1' });
  const second = await connector.patchPolicy(name, { ...body, version: '99' });
  expect(second.version).toBe('2');
  const read = await connector.readPolicies();
  expect(read.find((p) => p.name === name)).toEqual(second);
  await expect(connector.patchPolicy('enterprises/other/policies/x', body)).rejects.toMatchObject({ kind: 'invalid' });
  await expect(
    connector.patchPolicy(name, { applications: [{ packageName: 'x', installType: 'NOPE' }] }),
  ).rejects.toMatchObject({ kind: 'invalid', status: 400 });
});
