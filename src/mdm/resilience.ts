// Pacing and retries for every MDM connector, as a decorator around whatever sends the requests: token buckets
// (shared process-wide by key, so every connector instance for one tenant draws from the same budget), a
// retry rule (Retry-After when the MDM says, else exponential backoff with full jitter, within an attempt
// limit and a time budget) and the request counters behind RequestStats. Clock, sleep and randomness are
// injected so the rules are tested without waiting.
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestStats } from './connector';
import { MdmError } from './errors';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal ? { signal } : undefined);
    } catch (error) {
      // timers/promises rejects with its own AbortError; callers expect the reason they aborted with.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  },
  random: () => Math.random(),
};

/**
 * A token bucket: starts full at `capacity`, refills `refillPerWindow` tokens evenly over `windowMs`. In any
 * window it lets through at most capacity + refillPerWindow requests, which is what to size against a
 * sliding-window limit.
 */
export interface BucketLimit {
  capacity: number;
  refillPerWindow: number;
  windowMs: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private limit: BucketLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.capacity >= 1 && limit.refillPerWindow > 0 && limit.windowMs > 0)) {
      throw new RangeError(`invalid bucket limit ${JSON.stringify(limit)}`);
    }
    this.tokens = limit.capacity;
    this.updatedAt = clock.now();
  }

  get current(): BucketLimit {
    return this.limit;
  }

  /** Adopts a new limit (another connector configured the same key), keeping what was already spent. */
  reconfigure(limit: BucketLimit): void {
    this.refill();
    this.limit = limit;
    this.tokens = Math.min(this.tokens, limit.capacity);
  }

  /** Milliseconds until `count` tokens are there (0: now). A cost above capacity waits for a full bucket. */
  waitFor(count: number): number {
    this.refill();
    const needed = Math.min(count, this.limit.capacity) - this.tokens;
    if (needed <= 0) return 0;
    return Math.ceil((needed * this.limit.windowMs) / this.limit.refillPerWindow);
  }

  take(count: number): void {
    this.refill();
    this.tokens -= Math.min(count, this.limit.capacity);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(
      this.limit.capacity,
      this.tokens + (elapsed * this.limit.refillPerWindow) / this.limit.windowMs,
    );
    this.updatedAt = now;
  }
}

/** Buckets by key ("intune:<tenant>", "intune:<tenant>:app:<client>"): one budget however many connectors. */
export class BucketRegistry {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly clock: Clock = systemClock) {}

  bucket(key: string, limit: BucketLimit): TokenBucket {
    const existing = this.buckets.get(key);
    if (!existing) {
      const bucket = new TokenBucket(limit, this.clock);
      this.buckets.set(key, bucket);
      return bucket;
    }
    const { capacity, refillPerWindow, windowMs } = existing.current;
    if (capacity !== limit.capacity || refillPerWindow !== limit.refillPerWindow || windowMs !== limit.windowMs) {
      existing.reconfigure(limit);
    }
    return existing;
  }
}

/** The process's buckets. Limits are per tenant, so processes share nothing: each keeps under its own share. */
export const sharedBuckets = new BucketRegistry();

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retry). */
  maxAttempts: number;
  /** Backoff when the MDM gives no Retry-After: random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts if its wait would end later than this after the first attempt began. */
  budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  budgetMs: 120_000,
});

/** What a connector sent; `throttled` counts every 429 answer, batch items included. */
export class RequestCounter {
  requests = 0;
  throttled = 0;
  retried = 0;

  snapshot(): RequestStats {
    return { requests: this.requests, throttled: this.throttled, retried: this.retried };
  }
}

/**
 * The retry decision for one logical request (or one item of a batch): after each failure, how long to
 * wait, or the final error once retrying is pointless or out of attempts or time.
 */
export class RetryState {
  attempts = 0;
  readonly startedAt: number;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  /** Call once per attempt made. */
  attempted(): void {
    this.attempts++;
  }

  /** The wait before the next attempt; throws `error` (non-retryable) or a final MdmError (gave up). */
  delayAfter(error: MdmError): number {
    if (!error.retryable) throw error;
    const elapsed = this.clock.now() - this.startedAt;
    if (this.attempts >= this.policy.maxAttempts) throw this.giveUp(error, elapsed, 'no attempts left');
    const wait = error.retryAfterMs ?? this.backoff();
    if (elapsed + wait > this.policy.budgetMs) {
      throw this.giveUp(error, elapsed, `waiting ${wait} ms more would exceed the ${this.policy.budgetMs} ms budget`);
    }
    return wait;
  }

  private backoff(): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (this.attempts - 1));
    return Math.floor(this.clock.random() * ceiling);
  }

  private giveUp(error: MdmError, elapsed: number, why: string): MdmError {
    const attempts = `${this.attempts} attempt${this.attempts === 1 ? '' : 's'}`;
    return new MdmError(error.kind, `${error.message} (gave up after ${attempts} in ${elapsed} ms: ${why})`, {
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      requestId: error.requestId,
      cause: error,
    });
  }
}

export interface ResilienceOptions {
  /** Every bucket a request must take a token from (e.g. the tenant's and the app's). */
  buckets: readonly TokenBucket[];
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
  counter?: RequestCounter;
  /** Told about each retry before its wait (for logging). */
  onRetry?: (event: { error: MdmError; attempt: number; delayMs: number }) => void;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Tokens one attempt costs (a $batch of n requests costs n). */
  cost?: number;
}

/** The decorator's engine: pace, send, sort out failures, wait, send again. */
export class Resilience {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly counter: RequestCounter;

  constructor(private readonly options: ResilienceOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.clock = options.clock ?? systemClock;
    this.counter = options.counter ?? new RequestCounter();
  }

  retryState(): RetryState {
    return new RetryState(this.policy, this.clock);
  }

  /** Waits until every bucket has `cost` tokens, then takes them from all at once (none held while waiting). */
  async pace(cost = 1, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = Math.max(0, ...this.options.buckets.map((bucket) => bucket.waitFor(cost)));
      if (wait === 0) {
        for (const bucket of this.options.buckets) bucket.take(cost);
        return;
      }
      await this.clock.sleep(wait, signal);
    }
  }

  /**
   * Runs `attempt` until it succeeds. `attempt` reports a failure by throwing an MdmError; anything else it
   * throws (a bug, an abort) passes through untouched.
   */
  async run<T>(attempt: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal } = options;
    const state = this.retryState();
    for (;;) {
      await this.pace(options.cost ?? 1, signal);
      signal?.throwIfAborted();
      this.counter.requests++;
      if (state.attempts > 0) this.counter.retried++;
      state.attempted();
      try {
        return await attempt();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!(error instanceof MdmError)) throw error;
        if (error.kind === 'throttled') this.counter.throttled++;
        const wait = state.delayAfter(error);
        this.options.onRetry?.({ error, attempt: state.attempts, delayMs: wait });
        await this.clock.sleep(wait, signal);
      }
    }
  }
}
