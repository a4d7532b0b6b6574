// One entry to the compilers: a policy compiled for the kind of MDM a connection runs. Each compiler is a pure
// function (intune.ts, jamf.ts, android.ts) producing native objects in the MDM-neutral shape the planner diffs.
import type { MdmKind } from '../../mdm/connector';
import type { Policy } from '../model';
import { compileForAndroid } from './android';
import type { CompiledPolicy, GroupIds } from './common';
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

export const MDM_NAMES: Record<MdmKind, string> = {
  intune: 'Intune',
  jamf: 'Jamf Pro',
  android: 'the Android Management API',
};
