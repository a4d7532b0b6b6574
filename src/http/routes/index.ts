// Every route of the API, as one table keyed by operation id. Its type requires a route for every operation
// of the contract, so a new operation without a handler does not compile.
import type { CompleteRouteTable } from '../route';
import { actionRoutes } from './actions';
import { auditRoutes } from './audit';
import { connectionRoutes } from './connections';
import { dashboardRoutes } from './dashboard';
import { deviceRoutes } from './devices';
import { driftRoutes } from './drift';
import { evidenceRoutes } from './evidence';
import { exportRoutes } from './exports';
import { findingRoutes } from './findings';
import { meRoutes } from './me';
import { operationRoutes } from './operations';
import { policyRoutes } from './policies';
import { postureRoutes } from './posture';
import { subjectRoutes } from './subjects';
import { tokenRoutes } from './tokens';
import { webhookRoutes } from './webhooks';

export const ROUTES: CompleteRouteTable = {
  ...operationRoutes,
  ...dashboardRoutes,
  ...meRoutes,
  ...tokenRoutes,
  ...auditRoutes,
  ...connectionRoutes,
  ...deviceRoutes,
  ...policyRoutes,
  ...findingRoutes,
  ...driftRoutes,
  ...actionRoutes,
  ...exportRoutes,
  ...webhookRoutes,
  ...postureRoutes,
  ...evidenceRoutes,
  ...subjectRoutes,
};
