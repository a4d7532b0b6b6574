// Runs the connector conformance suite against every MDM's rig. The list is explicit: a new connector joins with
// one import and one entry here (its rig in test/mdm/conformance/<kind>.ts).
import { androidTarget } from './android';
import type { ConformanceTarget } from './harness';
import { intuneTarget } from './intune';
import { jamfTarget } from './jamf';
import { describeConformance } from './suite';

const TARGETS: readonly ConformanceTarget[] = [intuneTarget, jamfTarget, androidTarget];

for (const target of TARGETS) describeConformance(target);
