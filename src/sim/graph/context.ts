/**
 * What every Graph handler shares: the emulator environment (tenant, faults, stats, origin, count
 * cache), the route record the pipeline works with, and small helpers for @odata.context URLs and
 * cached $count results.
 */
import type { FaultInjector } from './faults';
import type { SimRequest, SimResponse } from './http';
import type { StatsRecorder } from './stats';
import type { GraphTenant } from './store';

export interface GraphEnvironment {
  tenant: GraphTenant;
  faults: FaultInjector;
  stats: StatsRecorder;
  /** https://127.0.0.1:PORT */
  origin: () => string;
  /** Filtered-count cache: key includes the tenant version, so changes invalidate it. */
  countCache: Map<string, number>;
}

export interface GraphRoute {
  /** "GET /v1.0/deviceManagement/managedDevices/{id}": the key of the stats tables. */
  template: string;
  write: boolean;
  /** Counted against Intune's devices-service limits when enforceLimits is on. */
  deviceService: boolean;
  /** The token needs at least one of these application permissions. */
  anyOfRoles: readonly string[];
  handle: (request: SimRequest) => SimResponse;
}

/** "@odata.context" for a fragment such as "deviceManagement/managedDevices". */
export function metadata(env: GraphEnvironment, fragment: string): string {
  return `${env.origin()}/v1.0/$metadata#${fragment}`;
}

/** "(a,b)" after the entity set in @odata.context when $select was given. */
export function selectSuffix(select: readonly string[] | null): string {
  return select ? `(${select.join(',')})` : '';
}

/** A count computed once per tenant version and key (filtered counts over 100,000 devices are not free). */
export function cachedCount(env: GraphEnvironment, key: string, compute: () => number): number {
  const versioned = `${env.tenant.version}|${key}`;
  let count = env.countCache.get(versioned);
  if (count === undefined) {
    if (env.countCache.size > 256) env.countCache.clear();
    count = compute();
    env.countCache.set(versioned, count);
  }
  return count;
}
