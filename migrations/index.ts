// The ordered list of schema migrations. Append new ones at the end; never edit one that has shipped.
import type { Knex } from 'knex';
import * as foundation from './20261122_0001_foundation';
import * as inventory from './20261122_0002_inventory';
import * as policies from './20261122_0003_policies';
import * as findings from './20261122_0004_findings';
import * as plans from './20261122_0005_plans';
import * as drift from './20261122_0006_drift';
import * as proposedPlans from './20261122_0007_proposed_plans';
import * as directory from './20261122_0008_directory';
import * as findingsEvaluated from './20261122_0009_findings_evaluated';
import * as actions from './20261122_0010_actions';
import * as webhooks from './20261122_0011_webhooks';
import * as posture from './20261122_0012_posture';
import * as subjectPseudonyms from './20261122_0013_subject_pseudonyms';

export interface NamedMigration extends Knex.Migration {
  name: string;
}

export const MIGRATIONS: NamedMigration[] = [
  { name: '20261122_0001_foundation', ...foundation },
  { name: '20261122_0002_inventory', ...inventory },
  { name: '20261122_0003_policies', ...policies },
  { name: '20261122_0004_findings', ...findings },
  { name: '20261122_0005_plans', ...plans },
  { name: '20261122_0006_drift', ...drift },
  { name: '20261122_0007_proposed_plans', ...proposedPlans },
  { name: '20261122_0008_directory', ...directory },
  { name: '20261122_0009_findings_evaluated', ...findingsEvaluated },
  { name: '20261122_0010_actions', ...actions },
  { name: '20261122_0011_webhooks', ...webhooks },
  { name: '20261122_0012_posture', ...posture },
  { name: '20261122_0013_subject_pseudonyms', ...subjectPseudonyms },
];
