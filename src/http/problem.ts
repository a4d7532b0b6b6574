// RFC 9457 problem details: the one shape every error answer takes. Each kind of problem has a stable `type`
// URN, a status and a title; the detail, the offending field and the request id come from the request.
import type { Context } from 'koa';
import type { AppErrorKind } from '../errors';

export type ProblemKind = AppErrorKind | 'internal';

const PROBLEMS: Record<ProblemKind, { status: number; title: string }> = {
  validation: { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not well-formed JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Your token may not do this' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'precondition-failed': { status: 412, title: 'The resource changed since you read it' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  internal: { status: 500, title: 'Internal error' },
  'not-ready': { status: 503, title: 'Not ready' },
  // 503, not 409: the server's configuration lacks the signing key, and nothing the caller sends can change that.
  'evidence-signing-not-configured': { status: 503, title: 'Evidence signing is not configured' },
};

export const problemType = (kind: ProblemKind) => `urn:warden:problem:${kind}`;
export const problemStatus = (kind: ProblemKind) => PROBLEMS[kind].status;

export interface ProblemInput {
  kind: ProblemKind;
  detail: string;
  field?: string;
  extensions?: Record<string, unknown>;
}

export function problemBody(ctx: Context, problem: ProblemInput): Record<string, unknown> {
  const { status, title } = PROBLEMS[problem.kind];
  return {
    ...problem.extensions,
    type: problemType(problem.kind),
    title,
    status,
    detail: problem.detail,
    instance: ctx.path,
    ...(problem.field ? { field: problem.field } : {}),
    requestId: ctx.state.requestId,
  };
}

export function sendProblem(ctx: Context, problem: ProblemInput): void {
  ctx.status = PROBLEMS[problem.kind].status;
  ctx.body = problemBody(ctx, problem);
  ctx.type = 'application/problem+json';
  if (problem.kind === 'unauthenticated') ctx.set('WWW-Authenticate', 'Bearer realm="warden"');
}
