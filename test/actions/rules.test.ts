// The safety rules of remote actions, one by one.
import {
  actorKey,
  approvalsRequired,
  cancelWindowSeconds,
  checkApproval,
  checkRequest,
  fleetShareLimit,
} from '../../src/actions/rules';
import type { Actor } from '../../src/audit/chain';
import type { ActionSafety } from '../../src/config';

const SAFETY: ActionSafety = {
  cancelWindowSeconds: 120,
  destructivePerHour: 20,
  destructivePerRequest: 10,
  fleetSharePercent: 5,
  approvalHours: 24,
  leaseSeconds: 300,
};
const admin = (id: string): Actor => ({ type: 'token', id, name: id, role: 'admin' });
const facts = { kind: 'wipe' as const, devices: 1, fleet: 1000, destructiveLastHour: 0, breakGlass: false };

describe('checkRequest', () => {
  it('lets a small request through', () => {
    expect(checkRequest(facts, SAFETY)).toBeNull();
  });

  it('refuses an empty request, and destructive requests over the per-request and hourly caps', () => {
    expect(checkRequest({ ...facts, devices: 0 }, SAFETY)?.why).toMatch(/no device/);
    expect(checkRequest({ ...facts, devices: 11 }, SAFETY)).toMatchObject({ limit: 10, requested: 11 });
    expect(checkRequest({ ...facts, kind: 'lock', devices: 11, fleet: 10_000 }, SAFETY)).toBeNull();
    expect(checkRequest({ ...facts, devices: 5, destructiveLastHour: 16 }, SAFETY)).toMatchObject({
      limit: 20,
      requested: 21,
    });
  });

  it('refuses more than the fleet share unless the glass is broken', () => {
    expect(fleetShareLimit(1000, SAFETY)).toBe(50);
    expect(fleetShareLimit(10, SAFETY)).toBe(1);
    const wide = { ...facts, kind: 'lock' as const, devices: 51 };
    expect(checkRequest(wide, SAFETY)).toMatchObject({ field: 'body.breakGlass', limit: 50 });
    expect(checkRequest({ ...wide, breakGlass: true }, SAFETY)).toBeNull();
  });
});

describe('approvals', () => {
  it('asks one other admin for a wipe or retire, two to break the glass, none for lock or sync', () => {
    expect([approvalsRequired('wipe', false), approvalsRequired('retire', false)]).toEqual([1, 1]);
    expect([approvalsRequired('lock', false), approvalsRequired('sync', false)]).toEqual([0, 0]);
    expect(approvalsRequired('lock', true)).toBe(2);
  });

  it('refuses the requester, a second approval by the same admin, and anyone not an admin', () => {
    const request = { requestedBy: admin('a'), approvals: [{ by: admin('b') }] };
    expect(checkApproval(request, admin('a'))?.why).toMatch(/requester cannot approve/);
    expect(checkApproval(request, admin('b'))?.why).toMatch(/already approved/);
    expect(checkApproval(request, { ...admin('c'), role: 'automation' })?.why).toMatch(/only an admin/);
    expect(checkApproval(request, admin('c'))).toBeNull();
    expect(actorKey({ type: 'cli', id: null, name: 'ops', role: null })).toBe('cli:ops');
  });

  it('waits out the cancel window for destructive actions only', () => {
    expect([cancelWindowSeconds('wipe', SAFETY), cancelWindowSeconds('lock', SAFETY)]).toEqual([120, 0]);
  });
});
