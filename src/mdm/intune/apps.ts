// Which devices hold given apps, asked per app as Intune wants it: the tenant's detectedApps catalogue once,
// then each matching app's managedDevices, first pages 20 to a $batch and later pages by nextLink. A 429 or
// 5xx inside a batch re-sends only that item, under the same retry rules as a whole request.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import type { AppHit } from '../connector';
import type { Resilience, RetryState } from '../resilience';
import { send } from './client';
import { fromHttpAnswer } from './graph-errors';
import { appScopeOf, stringOf } from './mapping';
import { continuePages, countOf, type GraphPage, listPages, type WalkOptions } from './paging';
import { MAX_BATCH_SIZE, PAGE_SIZE } from './settings';

interface DetectedAppRow {
  id?: unknown;
  displayName?: unknown;
  version?: unknown;
  platform?: unknown;
  deviceCount?: unknown;
}

interface MatchedApp {
  id: string;
  identifier: string;
  displayName: string | null;
  version: string | null;
  platform: unknown;
  deviceCount: number | null;
}

interface BatchItemAnswer {
  id?: unknown;
  status?: unknown;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface AppQuery {
  client: Client;
  resilience: Resilience;
  /** e.g. https://graph.microsoft.com/v1.0 */
  graphRoot: string;
  origin: string;
  log: Logger;
  signal?: AbortSignal;
}

const APP_SELECT = 'id,displayName,version,platform,deviceCount';

/** Detected apps whose displayName (the package or bundle id on mobile platforms) is one of the identifiers. */
async function matchingApps(query: AppQuery, identifiers: readonly string[]): Promise<MatchedApp[]> {
  const wanted = new Map(identifiers.map((identifier) => [identifier.toLowerCase(), identifier]));
  const walk: WalkOptions = { ...query, what: 'the detectedApps listing' };
  const firstUrl = `${query.graphRoot}/deviceManagement/detectedApps?$select=${APP_SELECT}&$top=${PAGE_SIZE}&$count=true`;
  const matched: MatchedApp[] = [];
  for await (const rows of listPages<DetectedAppRow>(walk, firstUrl, true)) {
    for (const row of rows) {
      const id = stringOf(row.id);
      const displayName = stringOf(row.displayName);
      const identifier = displayName === null ? undefined : wanted.get(displayName.toLowerCase());
      if (!id || identifier === undefined) continue;
      const deviceCount = typeof row.deviceCount === 'number' ? row.deviceCount : null;
      matched.push({
        id,
        identifier,
        displayName,
        version: stringOf(row.version),
        platform: row.platform,
        deviceCount,
      });
    }
  }
  return matched;
}

function devicesPath(appId: string): string {
  return `/deviceManagement/detectedApps/${encodeURIComponent(appId)}/managedDevices?$select=id&$top=${PAGE_SIZE}&$count=true`;
}

function hitsOf(app: MatchedApp, rows: readonly { id?: unknown }[]): AppHit[] {
  const scope = appScopeOf(app.platform);
  return rows.flatMap((row) => {
    const deviceExternalId = stringOf(row.id);
    if (!deviceExternalId) return [];
    const { identifier, displayName, version } = app;
    return [{ identifier, appExternalId: app.id, displayName, version, deviceExternalId, scope }];
  });
}

interface Pending {
  app: MatchedApp;
  retry: RetryState;
  /** Clock time before which this item must not be sent again (its Retry-After or backoff). */
  notBefore: number;
}

/** Every device holding one of the identifiers' apps, page by page; complete or throwing. */
export async function* devicesWithApps(query: AppQuery, identifiers: readonly string[]): AsyncGenerator<AppHit[]> {
  if (identifiers.length === 0) return;
  const { resilience, signal } = query;
  const { clock, counter } = resilience;
  const queue: Pending[] = (await matchingApps(query, identifiers)).map((app) => ({
    app,
    retry: resilience.retryState(),
    notBefore: 0,
  }));
  while (queue.length > 0) {
    signal?.throwIfAborted();
    const now = clock.now();
    const ready = queue.filter((pending) => pending.notBefore <= now).slice(0, MAX_BATCH_SIZE);
    if (ready.length === 0) {
      await clock.sleep(Math.min(...queue.map((pending) => pending.notBefore)) - now, signal);
      continue;
    }
    for (const pending of ready) {
      queue.splice(queue.indexOf(pending), 1);
      if (pending.retry.attempts > 0) counter.retried++;
      pending.retry.attempted();
    }
    const requests = ready.map((pending, index) => ({
      id: String(index),
      method: 'GET',
      url: devicesPath(pending.app.id),
    }));
    const answer = await send<{ responses?: BatchItemAnswer[] }>(query.client.api('/$batch'), 'post', signal, {
      requests,
    });
    const byId = new Map((answer.responses ?? []).map((item) => [String(item.id), item]));
    for (const [index, pending] of ready.entries()) {
      const item = byId.get(String(index)) ?? { status: 503 }; // an item left out was not served
      const status = typeof item.status === 'number' ? item.status : 503;
      if (status >= 200 && status < 300) {
        yield* appPages(query, pending.app, (item.body ?? {}) as GraphPage<{ id?: unknown }>);
        continue;
      }
      const error = fromHttpAnswer({ status, headers: item.headers, body: item.body }, clock.now());
      if (error.kind === 'throttled') counter.throttled++;
      const wait = pending.retry.delayAfter(error); // throws when not retryable or out of attempts or time
      query.log.debug(
        { kind: error.kind, status, requestId: error.requestId, attempt: pending.retry.attempts, delayMs: wait },
        'retrying a $batch item',
      );
      pending.notBefore = clock.now() + wait;
      queue.push(pending);
    }
  }
}

/** One app's devices from its first page on; the expected total is @odata.count, else the catalogue's deviceCount. */
async function* appPages(
  query: AppQuery,
  app: MatchedApp,
  first: GraphPage<{ id?: unknown }>,
): AsyncGenerator<AppHit[]> {
  const walk: WalkOptions = {
    ...query,
    what: `the devices of detectedApp ${app.id} (${app.displayName ?? app.identifier})`,
  };
  const expected = { count: countOf(first) ?? app.deviceCount, required: false };
  for await (const rows of continuePages(walk, first, `${query.graphRoot}${devicesPath(app.id)}`, expected)) {
    const hits = hitsOf(app, rows);
    if (hits.length > 0) yield hits;
  }
}
