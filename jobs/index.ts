// Every scheduled job, as one explicit list.
import type { JobDefinition } from '../src/worker/job';
import { auditChainCheck } from './audit-chain-check';

export const JOBS: readonly JobDefinition[] = [auditChainCheck];
