// Cross-cutting middleware: the request id, one access log line and the metrics per request, and the answer
// that turns every failure into problem+json without leaking stacks or SQL.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError } from '../errors';
import { accessLogOf, type Logger } from '../log';
import type { Metrics } from '../metrics';
import { sendProblem } from './problem';

/** A caller's X-Request-Id is kept when it is a short, plain token; otherwise Warden makes one. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function observe(log: Logger, metrics: Metrics): Middleware {
  const access = accessLogOf(log);
  return async (ctx, next) => {
    const started = performance.now();
    const offered = ctx.get('x-request-id');
    ctx.state.requestId = ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.http.record(ctx.method, route, ctx.status, seconds);
      access({
        requestId: ctx.state.requestId,
        method: ctx.method,
        route,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(seconds * 1000),
        tokenId: ctx.state.tokenId,
      });
    }
  };
}

/**
 * Turns every failure into problem+json: a thrown AppError into its problem, anything else into a 500 that quotes
 * the request id (logged with its cause, never answered with it), an unmatched path into a 404, and a known path
 * asked with another method into a 405.
 */
export function answerProblems(log: Logger): Middleware {
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
      return;
    }
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
