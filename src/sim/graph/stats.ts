/**
 * Request accounting for tests and the demo: answers per route template and status, fault and limit
 * counts, token grants, and accepted device-action calls per (deviceId, action), which is what later
 * tests use to prove that a wipe or retire was delivered exactly once.
 */

export interface EmulatorStats {
  startedAt: string;
  /** HTTP requests received (a $batch counts once here). */
  totalRequests: number;
  /** "GET /v1.0/deviceManagement/managedDevices" -> { "200": 12, "429": 3 }. */
  requests: Record<string, Record<string, number>>;
  /** The same, for the requests inside $batch bodies. */
  batchItems: Record<string, Record<string, number>>;
  /** 429 answers, injected or from enforced limits, top-level and inside batches. */
  throttled: number;
  /** The part of `throttled` caused by enforceLimits. */
  limitThrottled: number;
  /** Injected 5xx answers. */
  serverErrors: number;
  /** Connections destroyed mid-request. */
  resets: number;
  tokensIssued: number;
  tokenFailures: number;
  /** Accepted device-action calls: deviceId -> action -> count. */
  actions: Record<string, Record<string, number>>;
  /** Successful (2xx) writes per route template, top-level and in batches: what a connector changed. */
  writes: Record<string, number>;
}

export class StatsRecorder {
  private stats: EmulatorStats = StatsRecorder.empty();

  private static empty(): EmulatorStats {
    return {
      startedAt: new Date().toISOString(),
      totalRequests: 0,
      requests: {},
      batchItems: {},
      throttled: 0,
      limitThrottled: 0,
      serverErrors: 0,
      resets: 0,
      tokensIssued: 0,
      tokenFailures: 0,
      actions: {},
      writes: {},
    };
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StatsRecorder.empty();
  }

  request(route: string, status: number | 'reset', inBatch: boolean): void {
    if (!inBatch) this.stats.totalRequests++;
    const table = inBatch ? this.stats.batchItems : this.stats.requests;
    const byStatus = table[route] ?? {};
    const key = String(status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    table[route] = byStatus;
  }

  write(route: string): void {
    this.stats.writes[route] = (this.stats.writes[route] ?? 0) + 1;
  }

  throttled(byLimit: boolean): void {
    this.stats.throttled++;
    if (byLimit) this.stats.limitThrottled++;
  }

  serverError(): void {
    this.stats.serverErrors++;
  }

  connectionReset(): void {
    this.stats.resets++;
  }

  token(issued: boolean): void {
    if (issued) this.stats.tokensIssued++;
    else this.stats.tokenFailures++;
  }

  action(deviceId: string, action: string): void {
    const key = deviceId.toLowerCase();
    const byAction = this.stats.actions[key] ?? {};
    byAction[action] = (byAction[action] ?? 0) + 1;
    this.stats.actions[key] = byAction;
  }
}

/** How many accepted calls of `action` a device received, per a stats snapshot. */
export function actionCount(stats: EmulatorStats, deviceId: string, action: string): number {
  return stats.actions[deviceId.toLowerCase()]?.[action] ?? 0;
}
