// Every 15 minutes (and on demand through POST /v1/drift/check): each policy checked against each connection
// it was applied to; enforce-mode drift put back, alert-mode drift raised as findings (src/policies/drift-check.ts).
import { evaluateFindings } from '../src/findings/evaluate';
import { checkDrift } from '../src/policies/drift-check';
import type { JobDefinition } from '../src/worker/job';

export type DriftCheckData = { policy?: string };

export const driftCheck: JobDefinition<DriftCheckData> = {
  name: 'drift-check',
  description: 'Compares what each MDM holds with the policies applied there; re-applies or reports drift',
  every: '15 minutes',
  lockLifetimeMs: 30 * 60_000,
  concurrency: 1,
  async run({ db, log, config, secretBox }, data) {
    const counts = await checkDrift(
      { knex: db.knex, log, secretBox, extraCaPem: config.extraCaPem },
      { policy: data.policy },
    );
    // Whether the MDM holds backup and contacts controls feeds the device findings: evaluate them again.
    const findings = await evaluateFindings(db.knex);
    return { ...counts, findingsOpened: findings.opened, findingsResolved: findings.resolved };
  },
};
