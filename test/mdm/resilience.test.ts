// Pacing and retry rules with an injected clock: every wait is recorded instead of slept.
import { MdmError, type MdmErrorKind, parseRetryAfter } from '../../src/mdm/errors';
import {
  BucketRegistry,
  type Clock,
  Resilience,
  type RetryPolicy,
  systemClock,
  TokenBucket,
} from '../../src/mdm/resilience';

class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  readonly randoms: number[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
  }

  random(): number {
    return this.randoms.shift() ?? 0.5;
  }
}

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300, budgetMs: 60_000 };

function setup(policy: Partial<RetryPolicy> = {}) {
  const clock = new FakeClock();
  const registry = new BucketRegistry(clock);
  const bucket = registry.bucket('t', { capacity: 1000, refillPerWindow: 1000, windowMs: 1000 });
  const resilience = new Resilience({ buckets: [bucket], policy: { ...POLICY, ...policy }, clock });
  return { clock, resilience };
}

/** An attempt function failing with the given errors in turn, then answering 'ok'. */
function failing(...errors: (() => Error)[]) {
  const calls = { count: 0 };
  const attempt = async () => {
    const make = errors[calls.count++];
    if (make) throw make();
    return 'ok';
  };
  return { attempt, calls };
}

describe('token buckets', () => {
  it('let a burst of `capacity` through, then pace at the refill rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerWindow: 4, windowMs: 1000 }, clock);
    const resilience = new Resilience({ buckets: [bucket], clock });
    for (let i = 0; i < 6; i++) await resilience.pace(1);
    // Two free, then one token every 250 ms.
    expect(clock.sleeps).toEqual([250, 250, 250, 250]);
  });

  it('wait for every bucket that applies, the emptiest deciding', async () => {
    const clock = new FakeClock();
    const registry = new BucketRegistry(clock);
    const tenant = registry.bucket('tenant', { capacity: 10, refillPerWindow: 10, windowMs: 1000 });
    const app = registry.bucket('tenant:app', { capacity: 1, refillPerWindow: 2, windowMs: 1000 });
    const resilience = new Resilience({ buckets: [tenant, app], clock });
    await resilience.pace(1);
    await resilience.pace(1);
    expect(clock.sleeps).toEqual([500]);
    // The tenant bucket was charged for both requests, not for the one that waited twice.
    expect(tenant.waitFor(10)).toBe(100);
  });

  it('charge a batch one token per request inside it', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 20, refillPerWindow: 20, windowMs: 2000 }, clock);
    const resilience = new Resilience({ buckets: [bucket], clock });
    await resilience.pace(20);
    await resilience.pace(5);
    expect(clock.sleeps).toEqual([500]);
  });

  it('are shared by key across registrations, and adopt a changed limit', () => {
    const clock = new FakeClock();
    const registry = new BucketRegistry(clock);
    const first = registry.bucket('intune:t', { capacity: 4, refillPerWindow: 4, windowMs: 1000 });
    first.take(3);
    const again = registry.bucket('intune:t', { capacity: 2, refillPerWindow: 2, windowMs: 1000 });
    expect(again).toBe(first);
    expect(again.waitFor(1)).toBe(0);
    expect(again.waitFor(2)).toBe(500);
    expect(registry.bucket('intune:other', { capacity: 2, refillPerWindow: 2, windowMs: 1000 })).not.toBe(first);
  });
});

describe('retries', () => {
  it('honour Retry-After given in seconds', async () => {
    const { clock, resilience } = setup();
    const { attempt } = failing(
      () => new MdmError('throttled', '429', { status: 429, retryAfterMs: parseRetryAfter('3', clock.now()) }),
    );
    await expect(resilience.run(attempt)).resolves.toBe('ok');
    expect(clock.sleeps).toEqual([3000]);
    expect(resilience.counter.snapshot()).toEqual({ requests: 2, throttled: 1, retried: 1 });
  });

  it('honour Retry-After given as an HTTP date', async () => {
    const { clock, resilience } = setup();
    const at = new Date(clock.now() + 7000).toUTCString();
    const { attempt } = failing(
      () => new MdmError('transient', '503', { status: 503, retryAfterMs: parseRetryAfter(at, clock.now()) }),
    );
    await resilience.run(attempt);
    expect(clock.sleeps).toEqual([7000]);
    expect(resilience.counter.snapshot()).toEqual({ requests: 2, throttled: 0, retried: 1 });
  });

  it('back off exponentially with full jitter when no Retry-After is given', async () => {
    const { clock, resilience } = setup();
    clock.randoms.push(0.5, 0.25, 0.999, 0);
    const transient = () => new MdmError('transient', 'reset');
    const { attempt, calls } = failing(transient, transient, transient, () => new MdmError('throttled', '429'));
    await resilience.run(attempt);
    // Ceilings 100, 200, 300 (capped, not 400), 300; each wait a random share of its ceiling.
    expect(clock.sleeps).toEqual([50, 50, 299, 0]);
    expect(calls.count).toBe(5);
    expect(resilience.counter.snapshot()).toEqual({ requests: 5, throttled: 1, retried: 4 });
  });

  it('give up when the next wait would overrun the time budget, saying how many attempts and how long', async () => {
    const { clock, resilience } = setup({ budgetMs: 15_000 });
    const throttled = () => new MdmError('throttled', 'Graph answered 429', { status: 429, retryAfterMs: 10_000 });
    const { attempt, calls } = failing(throttled, throttled, throttled);
    const error = await resilience.run(attempt).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MdmError);
    expect(error).toMatchObject({ kind: 'throttled', status: 429, retryAfterMs: 10_000 });
    expect((error as MdmError).message).toMatch(/gave up after 2 attempts in 10000 ms/);
    expect((error as MdmError).cause).toBeInstanceOf(MdmError);
    expect(calls.count).toBe(2);
    expect(clock.sleeps).toEqual([10_000]);
  });

  it('give up after maxAttempts', async () => {
    const { resilience } = setup({ maxAttempts: 3 });
    const transient = () => new MdmError('transient', 'Graph answered 503', { status: 503 });
    const { attempt, calls } = failing(transient, transient, transient, transient);
    await expect(resilience.run(attempt)).rejects.toThrow(/gave up after 3 attempts in \d+ ms: no attempts left/);
    expect(calls.count).toBe(3);
  });

  it.each<MdmErrorKind>(['auth', 'permission', 'invalid', 'not-found', 'incomplete'])(
    'never retry %s',
    async (kind) => {
      const { clock, resilience } = setup();
      const error = new MdmError(kind, kind);
      const { attempt, calls } = failing(() => error);
      await expect(resilience.run(attempt)).rejects.toBe(error);
      expect(calls.count).toBe(1);
      expect(clock.sleeps).toEqual([]);
    },
  );

  it('let errors that are not MdmErrors (bugs) through untouched', async () => {
    const { resilience } = setup();
    const bug = new TypeError('undefined is not a function');
    const { attempt, calls } = failing(() => bug);
    await expect(resilience.run(attempt)).rejects.toBe(bug);
    expect(calls.count).toBe(1);
  });

  it('stop at once when aborted, before sending or while failing', async () => {
    const { resilience } = setup();
    const before = new AbortController();
    before.abort(new Error('shutting down'));
    const untouched = failing();
    await expect(resilience.run(untouched.attempt, { signal: before.signal })).rejects.toThrow('shutting down');
    expect(untouched.calls.count).toBe(0);

    const during = new AbortController();
    const attempt = async () => {
      during.abort(new Error('job cancelled'));
      throw new MdmError('transient', 'reset');
    };
    await expect(resilience.run(attempt, { signal: during.signal })).rejects.toThrow('job cancelled');
  });

  it('cut a real wait short when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(systemClock.sleep(10_000, controller.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
