// One entry to the compilers: a policy compiled for the kind of MDM a connection runs. Each compiler is a pure
// function (intune.ts, jamf.ts, android.ts) producing native objects in the MDM-neutral shape the planner diffs.
import type { MdmKind } from '../../mdm/connector';
import type { Policy } from '../model';
import { compileForAndroid } from './android';
import { type CompiledPolicy, type GroupIds, groupNamesOf } from './common';
import { compileForIntune } from './intune';
import { compileForJamf } from './jamf';

export * from './common';

/** Compiles for one MDM kind; `groupIds` resolves group names for MDMs with a directory (Intune). */
export function compileForKind(kind: MdmKind, policy: Policy, groupIds: GroupIds = new Map()): CompiledPolicy {
  switch (kind) {
    case 'intune':
      return compileForIntune(policy, groupIds);
    case 'jamf':
      return compileForJamf(policy);
    case 'android':
      return compileForAndroid(policy);
  }
}

const UNRESOLVED_GROUP = '00000000-0000-0000-0000-000000000000';

/**
 * Compiles without a tenant at hand: each group name among the targets stands for a group (what a tenant
 * resolves it to is checked when planning there). For what a policy asks of an MDM kind, not for its objects.
 */
export function compileUnresolved(kind: MdmKind, policy: Policy): CompiledPolicy {
  return compileForKind(kind, policy, new Map(groupNamesOf(policy).map((name) => [name, UNRESOLVED_GROUP])));
}

export const MDM_NAMES: Record<MdmKind, string> = {
  intune: 'Intune',
  jamf: 'Jamf Pro',
  android: 'the Android Management API',
};
