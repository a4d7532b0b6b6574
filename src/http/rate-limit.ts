// API rate limiting: a token bucket per API token, and per client address for requests without one, kept in
// memory per process (so N API processes admit up to N times the rate). A bucket holds a minute's worth of
// requests and refills continuously; an empty one answers 429 problem+json with Retry-After. Health, readiness
// and metrics are exempt, so probes and scrapers never compete with callers.
//
// The bucket is chosen before authentication, to spare the database a flood: a request with a bearer token
// counts against that token (by its hash), one without against the client's address. So that made-up tokens
// cannot each get a fresh bucket, every answer 401 to a bearer token also counts against the address, and a
// token this process has not yet seen authenticate is refused while the address has used up that allowance.
import type { Context, Middleware } from 'koa';
import { hashTokenSecret } from '../auth/secrets';

export const RATE_LIMIT_EXEMPT: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Buckets are forgotten once full again; past this many, full ones are swept (a full bucket is a fresh one). */
const SWEEP_AT = 10_000;
/** Tokens remembered as having authenticated, the oldest forgotten first. */
const KNOWN_TOKENS_MAX = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    /** Requests a minute; also the burst a full bucket allows. */
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from the key's bucket: 0 when admitted, else the seconds until one would be. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Like take, without using a request: 0 when one would be admitted now. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.perMinute, bucket.tokens + (this.now() - bucket.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
    // Still full of partly used buckets (a flood from many addresses): forget the oldest half rather than grow.
    if (this.buckets.size >= SWEEP_AT) {
      let drop = Math.floor(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}

/** The bearer token's hash (remembered, so that authentication does not hash the same secret again). */
const bearerHash = (ctx: Context): string | null => {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match ? hashTokenSecret(match[1]!) : null;
};

function tooManyRequests(ctx: Context, retryAfter: number, detail: string): void {
  ctx.status = 429;
  ctx.type = 'application/problem+json';
  ctx.set('Retry-After', String(retryAfter));
  ctx.body = {
    type: 'urn:warden:problem:rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: `${detail}; retry in ${retryAfter} s`,
    instance: ctx.path,
    requestId: ctx.state.requestId,
  };
}

/** The middleware; with perMinute 0 it lets everything through. */
export function rateLimit(options: { perMinute: number; now?: () => number }): Middleware {
  if (!(options.perMinute > 0)) return (_ctx, next) => next();
  const { perMinute } = options;
  const buckets = new TokenBuckets(perMinute, options.now);
  /** Hashes of tokens that authenticated in this process (insertion order: the oldest is forgotten first). */
  const known = new Set<string>();
  return async (ctx, next) => {
    if (RATE_LIMIT_EXEMPT.has(ctx.path)) return next();
    const hash = bearerHash(ctx);
    if (hash === null) {
      const wait = buckets.take(`address:${ctx.ip}`);
      if (wait > 0) return tooManyRequests(ctx, wait, `more than ${perMinute} requests a minute from this address`);
      return next();
    }
    const isKnown = known.has(hash);
    if (!isKnown) {
      const wait = buckets.peek(`failed:${ctx.ip}`);
      if (wait > 0) {
        return tooManyRequests(
          ctx,
          wait,
          `more than ${perMinute} requests a minute from this address with tokens that do not authenticate`,
        );
      }
    }
    const wait = buckets.take(`token:${hash}`);
    if (wait > 0) return tooManyRequests(ctx, wait, `more than ${perMinute} requests a minute with this token`);
    try {
      await next();
    } finally {
      if (ctx.status === 401) buckets.take(`failed:${ctx.ip}`);
      else if (!isKnown && typeof ctx.state.tokenId === 'string') {
        if (known.size >= KNOWN_TOKENS_MAX) known.delete(known.values().next().value!);
        known.add(hash);
      }
    }
  };
}
