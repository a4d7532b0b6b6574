// Cross-cutting middleware: the request id, one access log line and the metrics per request, and the error
// boundary that turns every failure into problem+json without leaking stacks or SQL.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError } from '../errors';
import { accessLoggerOf, type Logger } from '../log';
import type { Metrics } from '../metrics';
import { sendProblem } from './problem';

/** A caller's X-Request-Id is kept when it is a short, plain token; otherwise Warden makes one. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function observe(log: Logger, metrics: Metrics): Middleware {
  const access = accessLoggerOf(log);
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const offered = ctx.get('x-request-id');
    ctx.state.requestId = ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      access.info(
        {
          requestId: ctx.state.requestId,
          method: ctx.method,
          route,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(seconds * 1000),
          tokenId: ctx.state.tokenId,
        },
        'request',
      );
    }
  };
}

export function errorBoundary(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof AppError) {
        sendProblem(ctx, {
          kind: error.kind,
          detail: error.detail,
          field: error.options.field,
          extensions: error.options.extensions,
        });
        return;
      }
      log.error({ err: error, requestId: ctx.state.requestId }, 'unhandled error');
      sendProblem(ctx, {
        kind: 'internal',
        detail: `an unexpected error occurred; quote request id ${ctx.state.requestId} when reporting it`,
      });
    }
  };
}

/** Runs after the router: an unmatched path is a 404 and a known path with another method a 405, as problems. */
export function unmatchedAsProblems(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 404) {
      sendProblem(ctx, { kind: 'not-found', detail: `no resource at ${ctx.path}` });
    } else if (ctx.status === 405 || ctx.status === 501) {
      const allow = ctx.response.get('Allow');
      sendProblem(ctx, {
        kind: 'method-not-allowed',
        detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow || 'none'}`,
      });
      if (allow) ctx.set('Allow', allow);
    }
  };
}
