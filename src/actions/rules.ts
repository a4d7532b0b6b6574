// The safety rules of remote actions, as pure functions: what a request may touch (caps per request and per
// hour, a share of the fleet beyond which two admins must break the glass), how many approvals it needs and
// from whom, and how long it waits before it is sent. Each refusal says why and how to proceed.
import type { Actor } from '../audit/chain';
import type { ActionSafety } from '../config';
import type { RemoteAction } from '../mdm/connector';

export type ActionKind = RemoteAction;

/** Actions that destroy data on the device: capped, approved by a second admin, and sent after a cancel window. */
export const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(['wipe', 'retire']);

export interface Refusal {
  why: string;
  howToProceed: string;
  field?: string;
  limit?: number;
  requested?: number;
}

export interface RequestFacts {
  kind: ActionKind;
  /** Devices the request would act on. */
  devices: number;
  /** Devices under management (not gone), every connection. */
  fleet: number;
  /** Devices already put under wipe or retire by requests of the last hour (canceled ones excepted). */
  destructiveLastHour: number;
  breakGlass: boolean;
}

/** The most devices one request may touch without breaking the glass. */
export function fleetShareLimit(fleet: number, safety: ActionSafety): number {
  return Math.max(1, Math.floor((fleet * safety.fleetSharePercent) / 100));
}

/** Approvals a request needs: two admins to break the glass, one other admin for a wipe or retire, else none. */
export function approvalsRequired(kind: ActionKind, breakGlass: boolean): number {
  if (breakGlass) return 2;
  return DESTRUCTIVE.has(kind) ? 1 : 0;
}

export function checkRequest(facts: RequestFacts, safety: ActionSafety): Refusal | null {
  if (facts.devices === 0) {
    return {
      why: 'the request names no device under management',
      howToProceed: 'name devices by their Warden id, or a user who holds devices that are not gone',
      field: 'body',
    };
  }
  if (DESTRUCTIVE.has(facts.kind) && facts.devices > safety.destructivePerRequest) {
    return {
      why: `a ${facts.kind} request may touch at most ${safety.destructivePerRequest} devices; this one touches ${facts.devices}`,
      howToProceed: `split it into requests of at most ${safety.destructivePerRequest} devices, or raise WARDEN_DESTRUCTIVE_ACTIONS_PER_REQUEST`,
      limit: safety.destructivePerRequest,
      requested: facts.devices,
    };
  }
  if (DESTRUCTIVE.has(facts.kind) && facts.destructiveLastHour + facts.devices > safety.destructivePerHour) {
    return {
      why: `at most ${safety.destructivePerHour} devices may be wiped or retired per hour; ${facts.destructiveLastHour} already were in the last hour`,
      howToProceed: 'wait until earlier requests are an hour old, or raise WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR',
      limit: safety.destructivePerHour,
      requested: facts.destructiveLastHour + facts.devices,
    };
  }
  const share = fleetShareLimit(facts.fleet, safety);
  if (facts.devices > share && !facts.breakGlass) {
    return {
      why: `the request touches ${facts.devices} of ${facts.fleet} devices, more than ${safety.fleetSharePercent}% of the fleet (${share})`,
      howToProceed:
        'narrow the request, or send it again with "breakGlass": true; it then waits for two admins other than you to approve it',
      field: 'body.breakGlass',
      limit: share,
      requested: facts.devices,
    };
  }
  return null;
}

/** Who is asking, for approval rules: a token's id, or the actor's name for system and CLI actors. */
export const actorKey = (actor: Actor) => (actor.id ? `${actor.type}:${actor.id}` : `${actor.type}:${actor.name}`);

/** Whether this actor may add an approval: an admin, not the requester, not twice. */
export function checkApproval(
  request: { requestedBy: Actor; approvals: ReadonlyArray<{ by: Actor }> },
  approver: Actor,
): Refusal | null {
  if (approver.role !== 'admin') {
    return { why: 'only an admin may approve a remote action', howToProceed: 'ask an admin to approve it' };
  }
  if (actorKey(approver) === actorKey(request.requestedBy)) {
    return {
      why: 'the requester cannot approve their own request',
      howToProceed: 'ask another admin to approve it',
    };
  }
  if (request.approvals.some((a) => actorKey(a.by) === actorKey(approver))) {
    return { why: 'you have already approved this request', howToProceed: 'ask another admin to approve it' };
  }
  return null;
}

/** Seconds between approval and sending: the window in which a wipe or retire can still be canceled. */
export function cancelWindowSeconds(kind: ActionKind, safety: ActionSafety): number {
  return DESTRUCTIVE.has(kind) ? safety.cancelWindowSeconds : 0;
}
