// Assembles the Koa application from its dependencies: middleware in order, then the router built from the
// contract. Creating the app has no side effects, so tests build as many as they like.
import Koa from 'koa';
import type { Config } from './config';
import type { SecretBox } from './connections/secret-box';
import type { Database } from './db';
import { answerProblems, observe } from './http/middleware';
import { rateLimit } from './http/rate-limit';
import { buildDispatch, type RouteTable } from './http/route';
import { ROUTES } from './http/routes';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import type { Scheduler } from './worker/scheduler';

export interface AppDeps {
  config: Config;
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** Seals MDM credentials; null when no key is configured (connections cannot then be created). */
  secretBox: SecretBox | null;
  /** Queues jobs for the worker (e.g. a sync requested through the API). */
  queue: Scheduler;
}

export function createApp(deps: AppDeps, routes: RouteTable = ROUTES): Koa {
  const app = new Koa();
  const dispatch = buildDispatch(routes, deps);
  app.silent = true; // answerProblems logs what matters; Koa's own handler would print stacks to stderr
  app.use(observe(deps.log, deps.metrics));
  // Outside answerProblems, so that it sees each answer's final status (a 401 counts against the address).
  if (deps.config.rateLimitPerMinute > 0) app.use(rateLimit({ perMinute: deps.config.rateLimitPerMinute }));
  app.use(answerProblems(deps.log));
  app.use(dispatch);
  return app;
}
