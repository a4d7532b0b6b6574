/**
 * What the emulated Jamf Pro server received: requests by route and outcome, MDM commands by device and type,
 * unmanage calls, tokens, and the concurrency it saw (requests in flight now, and the most at once), so tests
 * can count actions per device and prove a client keeps within Jamf's five concurrent connections.
 */

export interface JamfEmulatorStats {
  requests: number;
  /** `${method} ${route}` -> status (or "reset") -> count. */
  byRoute: Record<string, Record<string, number>>;
  throttled: number;
  serverErrors: number;
  resets: number;
  tokensIssued: number;
  /** `${managementId}:${commandType}` -> commands queued. */
  commands: Record<string, number>;
  /** Device or computer id -> unmanage / remove-mdm-profile calls received. */
  unmanaged: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

export class JamfStatsRecorder {
  private state: JamfEmulatorStats = JamfStatsRecorder.empty();

  private static empty(): JamfEmulatorStats {
    return {
      requests: 0,
      byRoute: {},
      throttled: 0,
      serverErrors: 0,
      resets: 0,
      tokensIssued: 0,
      commands: {},
      unmanaged: {},
      inFlight: 0,
      maxInFlight: 0,
    };
  }

  started(): void {
    this.state.inFlight++;
    this.state.maxInFlight = Math.max(this.state.maxInFlight, this.state.inFlight);
  }

  finished(): void {
    this.state.inFlight = Math.max(0, this.state.inFlight - 1);
  }

  request(route: string, outcome: number | 'reset'): void {
    this.state.requests++;
    const counts = this.state.byRoute[route] ?? {};
    this.state.byRoute[route] = counts;
    counts[String(outcome)] = (counts[String(outcome)] ?? 0) + 1;
    if (outcome === 429) this.state.throttled++;
    else if (outcome === 'reset') this.state.resets++;
    else if (outcome >= 500) this.state.serverErrors++;
  }

  token(): void {
    this.state.tokensIssued++;
  }

  command(managementId: string, commandType: string): void {
    const key = `${managementId}:${commandType}`;
    this.state.commands[key] = (this.state.commands[key] ?? 0) + 1;
  }

  unmanage(id: string): void {
    this.state.unmanaged[id] = (this.state.unmanaged[id] ?? 0) + 1;
  }

  snapshot(): JamfEmulatorStats {
    return structuredClone(this.state);
  }

  /** Clears the counters; requests in flight stay counted (they will finish). */
  reset(): void {
    const inFlight = this.state.inFlight;
    this.state = JamfStatsRecorder.empty();
    this.state.inFlight = inFlight;
    this.state.maxInFlight = inFlight;
  }
}
