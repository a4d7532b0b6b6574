/**
 * Request accounting of the Android Management API emulator: answers per route and status, injected faults,
 * token grants, and the calls each device received (delete, each command type) that the emulator carried
 * out, which is how tests prove a wipe or a lock was delivered exactly once.
 */

export interface AndroidEmulatorStats {
  startedAt: string;
  totalRequests: number;
  /** "GET /v1/enterprises/{e}/devices" -> { "200": 12, "429": 3 }. */
  requests: Record<string, Record<string, number>>;
  throttled: number;
  serverErrors: number;
  resets: number;
  tokensIssued: number;
  tokenFailures: number;
  /** Carried-out device calls: device id -> "delete" | "get" | "issueCommand:LOCK" ... -> count. */
  deviceCalls: Record<string, Record<string, number>>;
  /** Policy PATCHes carried out, per policy id. */
  policyPatches: Record<string, number>;
}

export class AndroidStatsRecorder {
  private stats = AndroidStatsRecorder.empty();

  private static empty(): AndroidEmulatorStats {
    return {
      startedAt: new Date().toISOString(),
      totalRequests: 0,
      requests: {},
      throttled: 0,
      serverErrors: 0,
      resets: 0,
      tokensIssued: 0,
      tokenFailures: 0,
      deviceCalls: {},
      policyPatches: {},
    };
  }

  snapshot(): AndroidEmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = AndroidStatsRecorder.empty();
  }

  request(route: string, status: number | 'reset'): void {
    this.stats.totalRequests++;
    const byStatus = this.stats.requests[route] ?? {};
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.stats.requests[route] = byStatus;
  }

  fault(kind: 'throttle' | 'serverError' | 'reset'): void {
    if (kind === 'throttle') this.stats.throttled++;
    else if (kind === 'serverError') this.stats.serverErrors++;
    else this.stats.resets++;
  }

  token(issued: boolean): void {
    if (issued) this.stats.tokensIssued++;
    else this.stats.tokenFailures++;
  }

  deviceCall(deviceId: string, call: string): void {
    const calls = this.stats.deviceCalls[deviceId] ?? {};
    calls[call] = (calls[call] ?? 0) + 1;
    this.stats.deviceCalls[deviceId] = calls;
  }

  policyPatch(policyId: string): void {
    this.stats.policyPatches[policyId] = (this.stats.policyPatches[policyId] ?? 0) + 1;
  }
}

/** How many carried-out calls of a kind ("delete", "issueCommand:LOCK") a device received. */
export function deviceCallCount(stats: AndroidEmulatorStats, deviceId: string, call: string): number {
  return stats.deviceCalls[deviceId]?.[call] ?? 0;
}
