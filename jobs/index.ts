// Every scheduled job, as one explicit list.
import type { JobDefinition } from '../src/worker/job';
import { actionConfirm } from './action-confirm';
import { actionDispatch } from './action-dispatch';
import { auditChainCheck } from './audit-chain-check';
import { connectionSync } from './connection-sync';
import { directorySync } from './directory-sync';
import { driftCheck } from './drift-check';
import { inventoryPrune } from './inventory-prune';
import { postureSnapshot } from './posture-snapshot';
import { syncDispatch } from './sync-dispatch';
import { webhookDeliver } from './webhook-deliver';

export const JOBS: readonly JobDefinition[] = [
  auditChainCheck,
  syncDispatch,
  connectionSync,
  directorySync,
  driftCheck,
  actionDispatch,
  actionConfirm,
  webhookDeliver,
  postureSnapshot,
  inventoryPrune,
];
