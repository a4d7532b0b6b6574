// Hourly: recompute the audit hash chain. A broken chain fails the run, which shows in job_runs and in the
// warden_job_runs{outcome="failed"} metric for alerting.
import { verifyAuditChain } from '../src/audit/store';
import { type JobDefinition, JobFailure } from '../src/worker/job';

export const auditChainCheck: JobDefinition = {
  name: 'audit-chain-check',
  description: 'Recomputes the audit log hash chain and fails if any link is broken',
  every: '1 hour',
  lockLifetimeMs: 30 * 60_000,
  concurrency: 1,
  async run({ db, log }) {
    const result = await verifyAuditChain(db.knex);
    const counts = { checkedEvents: result.checkedEvents, headSeq: result.head.seq };
    if (result.firstBrokenLink) {
      const { seq, reason, detail } = result.firstBrokenLink;
      log.error({ brokenLink: result.firstBrokenLink }, 'audit chain broken');
      throw new JobFailure(`audit chain broken at event ${seq} (${reason}): ${detail}`, counts);
    }
    return counts;
  },
};
