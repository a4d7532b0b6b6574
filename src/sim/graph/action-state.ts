/**
 * How recorded device actions show on a managedDevice as time passes: deviceActionResults entries
 * (pending, then done once the device has checked in) and the managementState a wipe or retire leaves.
 */
import { isoSeconds } from './entities';
import type { DeviceActionResult, ManagedDevice } from './types';

/** A device action the tenant accepted: its name, when it was sent, and its body parameters. */
export interface RecordedAction {
  action: string;
  startMs: number;
  parameters: Record<string, unknown>;
}

/**
 * Effects of recorded actions, as of now. Assumptions where the reference is silent:
 * - deviceActionResults keeps one entry per action name (the latest), as the service does;
 * - wipe/retire show wipePending/retirePending until the device checks in, then wipeIssued/retireIssued
 *   (the real service later drops the record altogether; the emulator keeps it so results stay readable,
 *   and tests remove it with removeDevice when they need that);
 * - completing any action means the device checked in, so lastSyncDateTime moves to the completion time.
 */
export function applyRecordedActions(
  device: ManagedDevice,
  actions: readonly RecordedAction[],
  latencyMs: number,
  now: number,
): void {
  const results: DeviceActionResult[] = (device.deviceActionResults ?? []).filter(
    (result) => !actions.some((recorded) => recorded.action === result.actionName),
  );
  for (const recorded of actions) {
    const doneMs = recorded.startMs + latencyMs;
    const done = now >= doneMs;
    results.push({
      actionName: recorded.action,
      actionState: done ? 'done' : 'pending',
      startDateTime: isoSeconds(recorded.startMs),
      lastUpdatedDateTime: isoSeconds(done ? doneMs : recorded.startMs),
    });
    if (recorded.action === 'wipe') device.managementState = done ? 'wipeIssued' : 'wipePending';
    if (recorded.action === 'retire') device.managementState = done ? 'retireIssued' : 'retirePending';
    if (done && Date.parse(device.lastSyncDateTime) < doneMs) device.lastSyncDateTime = isoSeconds(doneMs);
  }
  device.deviceActionResults = results;
}
