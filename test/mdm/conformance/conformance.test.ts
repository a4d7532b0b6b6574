// Runs the connector conformance suite against every MDM's rig. The list is explicit: a new connector joins with
// one import and one entry here (its rig in test/mdm/conformance/<kind>.ts).
import type { ConformanceTarget } from './harness';
import { intuneTarget } from './intune';
import { describeConformance } from './suite';

const TARGETS: readonly ConformanceTarget[] = [intuneTarget];

for (const target of TARGETS) describeConformance(target);
