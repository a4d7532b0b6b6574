// Routes: a route is an operation of openapi/warden.yaml, the roles it admits, and a handler. The router is
// built from the contract: a route must declare its roles (and they must match the contract's
// x-warden-roles), a mutation must name its audit action, and every operation must have a route, or the
// router refuses to build. Per request, in this order: authenticate, authorize (a refused mutation is
// audited as denied), parse and validate the input, then run the handler.

import type { Readable } from 'node:stream';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AppDeps } from '../app';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { actorOf, type Principal, type Role } from '../auth/roles';
import { type AuthenticationFailure, authenticate } from '../auth/tokens';
import { AppError } from '../errors';
import type { operations } from './api-types';
import type { PreparedJson } from './prepared-json';
import { loadSpec, type RoleDeclaration, type SpecOperation } from './spec';
import { compileRequestValidators, type RequestValidator } from './validation';

export type OperationId = keyof operations;
type Operation<K extends OperationId> = operations[K];

type PathOf<K extends OperationId> = NonNullable<Operation<K>['parameters']['path']>;
type QueryOf<K extends OperationId> = NonNullable<Operation<K>['parameters']['query']>;
type BodyOf<K extends OperationId> =
  Operation<K> extends { requestBody: { content: { 'application/json': infer B } } }
    ? B
    : Operation<K> extends { requestBody?: { content: { 'application/json': infer B } } }
      ? B | undefined
      : undefined;

type Responses<K extends OperationId> = Operation<K>['responses'];
type Status<K extends OperationId> = Exclude<keyof Responses<K>, 'default'>;
/**
 * A body written while it is produced (an export), in one of the content types the contract declares for the
 * status. It is sent chunked, with backpressure; if the stream fails part-way, the connection is aborted.
 */
export interface StreamedReply<S, T> {
  status: S;
  stream: Readable;
  contentType: T;
  headers?: Record<string, string>;
  body?: undefined;
}
// `stream?: undefined` and `body?: undefined` keep the two kinds of reply apart for the type checker.
type ReplyFor<R, S> = R extends { content: infer C }
  ? {
      [T in keyof C]:
        | {
            status: S;
            body: C[T];
            contentType?: T;
            stream?: undefined;
            prepared?: PreparedJson;
          }
        | StreamedReply<S, T>;
    }[keyof C]
  : { status: S; body?: undefined };
/**
 * What a handler answers: one of the operation's documented statuses with its body type (or a stream of it).
 * `prepared`, when given, is `body` already serialised and compressed (a cached answer), sent as is.
 */
export type Reply<K extends OperationId> = { [S in Status<K>]: ReplyFor<Responses<K>[S], S> }[Status<K>];

export interface HandlerContext<K extends OperationId> {
  input: { params: PathOf<K>; query: QueryOf<K>; body: BodyOf<K> };
  /** The caller; null only on public routes. */
  principal: Principal | null;
  /** Who to record in the audit log, and the request id to record with it. */
  by: { actor: Actor; requestId: string };
  deps: AppDeps;
  koa: Context;
}

export interface RouteOptions<K extends OperationId> {
  /** Required: a route that does not say who may call it cannot be registered. */
  roles: RoleDeclaration;
  /** Required for mutations: the audit action recorded when a caller is refused (and by the service on success). */
  auditAction?: string;
  handler(ctx: HandlerContext<K>): Promise<Reply<K>>;
}

/** Routes for some operations, keyed by operation id (one file per resource exports one). */
export type RouteTable = { [K in OperationId]?: RouteOptions<K> };
/** Routes for every operation: TypeScript refuses a table that misses one. */
export type CompleteRouteTable = { [K in OperationId]: RouteOptions<K> };
type AnyRoute = RouteOptions<OperationId> & { operationId: OperationId };

const sameRoles = (a: RoleDeclaration, b: RoleDeclaration) =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((r) => b.includes(r)));

function assertDeclared(route: AnyRoute, operation: SpecOperation | undefined): asserts operation is SpecOperation {
  if (!operation) throw new Error(`route ${route.operationId} has no operation in openapi/warden.yaml`);
  const roles = route.roles as RoleDeclaration | undefined;
  if (roles === undefined || (roles !== 'public' && (!Array.isArray(roles) || roles.length === 0))) {
    throw new Error(`route ${route.operationId} does not declare the roles it admits`);
  }
  if (!sameRoles(roles, operation.roles)) {
    throw new Error(
      `route ${route.operationId} admits ${String(roles)} but the contract says ${String(operation.roles)}`,
    );
  }
  if (operation.method !== 'get' && roles !== 'public' && !route.auditAction) {
    throw new Error(`route ${route.operationId} is a mutation and must name its auditAction`);
  }
}

const UNAUTHENTICATED: Record<AuthenticationFailure, string> = {
  unknown: 'the bearer token is not recognised',
  revoked: 'the bearer token has been revoked',
  expired: 'the bearer token has expired',
};

async function authenticateRequest(ctx: Context, deps: AppDeps): Promise<Principal> {
  const header = ctx.get('authorization');
  if (!header) throw new AppError('unauthenticated', 'send an API token as "Authorization: Bearer <token>"');
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
  if (!match) {
    throw new AppError('unauthenticated', 'the Authorization header must be "Bearer <token>"', {
      field: 'header.authorization',
    });
  }
  const result = await authenticate(deps.db.knex, match[1]!, { cacheMs: deps.config.tokenCacheMs });
  if (typeof result === 'string') throw new AppError('unauthenticated', UNAUTHENTICATED[result]);
  return result;
}

/** Records a refused mutation. Failing to record it must not turn the 403 into a 500, so it only logs. */
async function auditDenied(ctx: Context, deps: AppDeps, route: AnyRoute, principal: Principal): Promise<void> {
  try {
    await deps.db.knex.transaction((trx) =>
      appendAudit(trx, {
        actor: actorOf(principal),
        action: route.auditAction!,
        outcome: 'denied',
        requestId: ctx.state.requestId,
        details: { operationId: route.operationId, method: ctx.method, path: ctx.path },
      }),
    );
  } catch (error) {
    deps.log.error({ err: error, requestId: ctx.state.requestId }, 'could not audit a denied request');
  }
}

function hasBody(ctx: Context): boolean {
  return ctx.req.headers['transfer-encoding'] !== undefined || Number(ctx.get('content-length') || 0) > 0;
}

/** The body-parsing library's errors, translated into problems the caller can act on. */
function bodyProblem(error: unknown, limitBytes: number): AppError {
  const status = (error as { status?: number }).status;
  if (status === 413)
    return new AppError('payload-too-large', `the body is larger than ${limitBytes} bytes`, { field: 'body' });
  if (status === 415)
    return new AppError('unsupported-media-type', "the body's character set is not supported; send UTF-8", {
      field: 'body',
    });
  if (status === 400)
    return new AppError('malformed-json', 'the body is not a well-formed JSON object or array', { field: 'body' });
  // zlib's errors (a Content-Encoding whose bytes do not decompress) carry a code, not a status.
  if (/^(Z_|ERR__ERROR_)/.test(String((error as { code?: unknown }).code)))
    return new AppError('malformed-json', 'the body does not decompress as its Content-Encoding says', {
      field: 'body',
    });
  return error as AppError;
}

async function readBody(
  ctx: Context,
  operation: SpecOperation,
  parse: Middleware,
  limitBytes: number,
): Promise<unknown> {
  if (!hasBody(ctx)) return undefined;
  if (!operation.requestBody)
    throw new AppError('validation', 'body: this operation takes no request body', { field: 'body' });
  if (!ctx.is('application/json', '+json')) {
    throw new AppError('unsupported-media-type', 'send the body as application/json', { field: 'header.content-type' });
  }
  try {
    await parse(ctx, async () => undefined);
  } catch (error) {
    throw bodyProblem(error, limitBytes);
  }
  return ctx.request.body;
}

/**
 * Whether each Accept-Encoding header seen lately takes gzip: clients send the same few headers again and again
 * (a browser, `curl --compressed`), and negotiating costs more than looking the answer up. Forgotten when full.
 */
const gzipAcceptedBy = new Map<string, boolean>();
const GZIP_ACCEPTED_MAX = 256;

function acceptsGzip(ctx: Context): boolean {
  const header = ctx.get('accept-encoding');
  if (header === '') return false; // most API clients send none
  let accepted = gzipAcceptedBy.get(header);
  if (accepted === undefined) {
    accepted = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
    if (gzipAcceptedBy.size >= GZIP_ACCEPTED_MAX) gzipAcceptedBy.clear();
    gzipAcceptedBy.set(header, accepted);
  }
  return accepted;
}

/**
 * Sends a prepared JSON answer: gzip-compressed to a client that accepts gzip, as is to others. The type is set
 * before the body, so that Koa does not first guess one from the bytes.
 */
function sendPrepared(ctx: Context, prepared: PreparedJson): void {
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  ctx.vary('Accept-Encoding');
  if (acceptsGzip(ctx)) {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = prepared.gzipped;
  } else ctx.body = prepared.utf8;
}

function handle(
  route: AnyRoute,
  operation: SpecOperation,
  validator: RequestValidator,
  deps: AppDeps,
  parse: Middleware,
): Middleware {
  const isMutation = operation.method !== 'get';
  return async (ctx) => {
    let principal: Principal | null = null;
    if (route.roles !== 'public') {
      principal = await authenticateRequest(ctx, deps);
      ctx.state.tokenId = principal.tokenId; // for the access log line
      if (!(route.roles as readonly Role[]).includes(principal.role)) {
        if (isMutation) await auditDenied(ctx, deps, route, principal);
        throw new AppError(
          'forbidden',
          `this operation needs one of the roles ${route.roles.join(', ')}; your token's role is ${principal.role}`,
        );
      }
    }
    const params = validator.params(ctx.params as Record<string, string>);
    validator.headers(ctx.headers);
    const query = validator.query(ctx.query as Record<string, unknown>);
    const body = validator.body(await readBody(ctx, operation, parse, deps.config.bodyLimitBytes));
    const actor: Actor = principal ? actorOf(principal) : { type: 'system', id: null, name: 'anonymous', role: null };
    const reply = await (
      route.handler as (c: HandlerContext<OperationId>) => Promise<
        | {
            status: number;
            body?: unknown;
            contentType?: string;
            stream?: undefined;
            prepared?: PreparedJson;
          }
        | StreamedReply<number, string>
      >
    )({
      input: { params, query, body } as HandlerContext<OperationId>['input'],
      principal,
      by: { actor, requestId: ctx.state.requestId },
      deps,
      koa: ctx,
    });
    ctx.status = reply.status;
    if (reply.stream) {
      if (reply.headers) ctx.set(reply.headers);
      // Koa pipes the stream into the response and destroys the socket if it fails. By then the status has been
      // sent and the access log line written, so this line is the only trace of the failure.
      reply.stream.once('error', (error) =>
        deps.log.error({ err: error, requestId: ctx.state.requestId }, 'a streamed answer failed part-way; aborted'),
      );
      ctx.body = reply.stream;
    } else if (reply.prepared) {
      sendPrepared(ctx, reply.prepared);
    } else if (reply.body !== undefined) ctx.body = reply.body;
    if (reply.contentType) ctx.type = reply.contentType;
  };
}

/**
 * The middleware that dispatches each request to its route, built from the contract and the route table; throws
 * if either is missing something. A GET of a path without parameters (the posture
 * summary, the dashboard's and scrapers' usual calls) is found with one map lookup, as the router would find it;
 * every other request goes through the router, which also answers 405 with Allow.
 */
export function buildDispatch(table: RouteTable, deps: AppDeps): Middleware {
  const { router, exactGets } = registerRoutes(table, deps);
  // The router's own context type adds what it sets on each request; to Koa they are plain middleware.
  const routed = router.routes() as unknown as Middleware;
  const allowedMethods = router.allowedMethods() as unknown as Middleware;
  return (ctx, next) => {
    if (ctx.method === 'GET') {
      const path = ctx.path;
      const route = exactGets.get(path);
      if (route) {
        (ctx as { _matchedRoute?: string })._matchedRoute = path;
        ctx.params = {};
        return route(ctx, next);
      }
    }
    return routed(ctx, () => allowedMethods(ctx, next));
  };
}

function registerRoutes(table: RouteTable, deps: AppDeps): { router: Router; exactGets: Map<string, Middleware> } {
  const routes = Object.entries(table).map(([operationId, options]) => ({ ...options, operationId }) as AnyRoute);
  const spec = loadSpec();
  const validators = compileRequestValidators(spec.operations.values());
  // readBody has already checked the content type, so the parser may take every body as JSON.
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: deps.config.bodyLimitBytes, detectJSON: () => true });
  const router = new Router();
  const exactGets = new Map<string, Middleware>();
  const registered = new Set<string>();
  for (const route of routes) {
    const operation = spec.operations.get(route.operationId);
    assertDeclared(route, operation);
    registered.add(route.operationId);
    const middleware = handle(route, operation, validators.get(route.operationId)!, deps, parse);
    router.register(operation.routerPath, [operation.method.toUpperCase()], middleware, { name: route.operationId });
    if (operation.method === 'get' && !operation.routerPath.includes(':'))
      exactGets.set(operation.routerPath, middleware);
  }
  const missing = [...spec.operations.keys()].filter((id) => !registered.has(id));
  if (missing.length > 0) throw new Error(`operations without a route: ${missing.join(', ')}`);
  return { router, exactGets };
}
