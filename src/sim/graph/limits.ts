/**
 * Intune's published request limits for the devices service (managedDevices, detectedApps), enforced
 * for real when the emulator is started with enforceLimits: per 20-second window, writes 400 per
 * tenant and 200 per app, any request 4000 per tenant and 2000 per app (MDM-APIS.md, "Throttling").
 * Windows slide in one-second steps; a refused request does not use quota.
 */

export const INTUNE_DEVICE_SERVICE_LIMITS = {
  windowSeconds: 20,
  tenantWrites: 400,
  appWrites: 200,
  tenantRequests: 4000,
  appRequests: 2000,
} as const;

/** Request counts over the last `windowSeconds`, kept as one bucket per second in a ring. */
class SlidingWindow {
  private readonly seconds: Float64Array;
  private readonly counts: Int32Array;

  constructor(private readonly windowSeconds: number) {
    this.seconds = new Float64Array(windowSeconds).fill(-1);
    this.counts = new Int32Array(windowSeconds);
  }

  total(nowSecond: number): number {
    let sum = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      if ((this.seconds[i] ?? -1) > nowSecond - this.windowSeconds) sum += this.counts[i] ?? 0;
    }
    return sum;
  }

  add(nowSecond: number): void {
    const slot = nowSecond % this.windowSeconds;
    if (this.seconds[slot] !== nowSecond) {
      this.seconds[slot] = nowSecond;
      this.counts[slot] = 0;
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + 1;
  }

  /** Seconds until enough old requests leave the window for one more to fit under `limit`. */
  secondsUntilRoom(nowSecond: number, limit: number): number {
    let excess = this.total(nowSecond) - limit + 1;
    for (let second = nowSecond - this.windowSeconds + 1; second <= nowSecond; second++) {
      const slot = ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds;
      if (this.seconds[slot] === second) excess -= this.counts[slot] ?? 0;
      if (excess <= 0) return second + this.windowSeconds - nowSecond;
    }
    return this.windowSeconds;
  }
}

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; scope: string };

export class DeviceServiceLimiter {
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Counts the request if it fits every applicable window, otherwise says how long to wait. */
  admit(appId: string, write: boolean): LimitVerdict {
    const limits = INTUNE_DEVICE_SERVICE_LIMITS;
    const now = Math.floor(this.clock() / 1000);
    const checks: [string, number][] = [
      ['tenant', limits.tenantRequests],
      [`app:${appId}`, limits.appRequests],
    ];
    if (write) checks.push(['tenant:writes', limits.tenantWrites], [`app:${appId}:writes`, limits.appWrites]);
    for (const [key, limit] of checks) {
      const window = this.window(key);
      if (window.total(now) >= limit) {
        return { allowed: false, retryAfterSeconds: window.secondsUntilRoom(now, limit), scope: key };
      }
    }
    for (const [key] of checks) this.window(key).add(now);
    return { allowed: true };
  }

  private window(key: string): SlidingWindow {
    let window = this.windows.get(key);
    if (!window) {
      window = new SlidingWindow(INTUNE_DEVICE_SERVICE_LIMITS.windowSeconds);
      this.windows.set(key, window);
    }
    return window;
  }
}
