/**
 * POST /v1.0/$batch: JSON batching as Graph does it. At most 20 requests with relative URLs, each
 * answered with its own status, headers and body (so a 429 can sit inside a 200 batch), dependsOn
 * honoured (a failed dependency answers 424), every item run through the normal request pipeline.
 */
import type { Principal } from './auth';
import { graphError, newRequestIds, parseJsonBody, type SimRequest, type SimResponse } from './http';
import { type PipelineEnvironment, processGraphRequest } from './pipeline';

export const MAX_BATCH_REQUESTS = 20;
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export function processBatch(env: PipelineEnvironment, request: SimRequest, principal: Principal): SimResponse {
  const parsed = parseBatch(parseJsonBody(request));
  if (typeof parsed === 'string') return graphError(request, 400, 'BadRequest', parsed);
  const responses = new Map<string, BatchItemResponse>();
  for (const item of executionOrder(parsed)) {
    const failedDependency = item.dependsOn.find((id) => {
      const status = responses.get(id)?.status ?? 0;
      return status < 200 || status > 299;
    });
    if (failedDependency !== undefined) {
      const error = graphError(
        request,
        424,
        'FailedDependency',
        `The request depends on request '${failedDependency}', which failed.`,
      );
      responses.set(item.id, {
        id: item.id,
        status: 424,
        headers: { 'Content-Type': 'application/json' },
        body: error.body,
      });
      continue;
    }
    responses.set(item.id, runItem(env, request, item, principal));
  }
  return { status: 200, body: { responses: parsed.map((item) => responses.get(item.id)) } };
}

function runItem(
  env: PipelineEnvironment,
  batch: SimRequest,
  item: BatchItem,
  principal: Principal,
): BatchItemResponse {
  let relative = item.url.startsWith('/') ? item.url : `/${item.url}`;
  // The SDK's BatchRequestContent only strips scheme and host, so its urls keep the version segment.
  if (/^\/v1\.0(\/|$)/i.test(relative)) relative = relative.slice('/v1.0'.length) || '/';
  const url = new URL(`${env.origin()}/v1.0${relative}`);
  const headers: Record<string, string> = { ...item.headers, authorization: batch.headers.authorization ?? '' };
  if (batch.headers['client-request-id']) headers['client-request-id'] ??= batch.headers['client-request-id'];
  const itemRequest: SimRequest = {
    method: item.method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    rawBody: item.body === undefined ? '' : typeof item.body === 'string' ? item.body : JSON.stringify(item.body),
    ...newRequestIds(headers),
  };
  if (item.body !== undefined && !headers['content-type']) {
    const error = graphError(
      itemRequest,
      400,
      'BadRequest',
      'A request with a body must specify the Content-Type header.',
    );
    return { id: item.id, status: 400, headers: { 'Content-Type': 'application/json' }, body: error.body };
  }
  const outcome = processGraphRequest(env, itemRequest, url.pathname.slice('/v1.0'.length), {
    principal,
    inBatch: true,
  });
  // Items are never reset individually (only connections are), so this is always a response.
  const response = outcome.kind === 'respond' ? outcome.response : { status: 500 };
  const responseHeaders: Record<string, string> = { ...response.headers };
  if (response.body !== undefined) responseHeaders['Content-Type'] = 'application/json';
  const out: BatchItemResponse = { id: item.id, status: response.status, headers: responseHeaders };
  if (response.body !== undefined) out.body = response.body;
  return out;
}

/** Validates the envelope; a string is the 400 message. */
function parseBatch(body: unknown): BatchItem[] | string {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { requests?: unknown }).requests)) {
    return "Invalid batch payload format: the body must be a JSON object with a 'requests' array.";
  }
  const requests = (body as { requests: unknown[] }).requests;
  if (requests.length === 0) return 'Invalid batch payload format: the batch contains no requests.';
  if (requests.length > MAX_BATCH_REQUESTS) {
    return `The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH_REQUESTS}.`;
  }
  const items: BatchItem[] = [];
  for (const raw of requests) {
    if (typeof raw !== 'object' || raw === null)
      return 'Invalid batch payload format: every request must be an object.';
    const entry = raw as Record<string, unknown>;
    const id = typeof entry.id === 'string' || typeof entry.id === 'number' ? String(entry.id) : '';
    if (!id) return "Invalid batch payload format: every request needs an 'id'.";
    if (items.some((item) => item.id === id)) return `Invalid batch payload format: duplicate request id '${id}'.`;
    const method = typeof entry.method === 'string' ? entry.method.toUpperCase() : '';
    if (!METHODS.has(method)) return `Invalid batch payload format: request '${id}' has an invalid method.`;
    if (typeof entry.url !== 'string' || entry.url.length === 0)
      return `Invalid batch payload format: request '${id}' has no url.`;
    if (/^[a-z]+:\/\//i.test(entry.url))
      return `Invalid batch payload format: request '${id}' must use a relative url.`;
    const headers: Record<string, string> = {};
    if (entry.headers !== undefined) {
      if (typeof entry.headers !== 'object' || entry.headers === null) {
        return `Invalid batch payload format: the headers of request '${id}' must be an object.`;
      }
      for (const [name, value] of Object.entries(entry.headers)) headers[name.toLowerCase()] = String(value);
    }
    const dependsOn = entry.dependsOn === undefined ? [] : entry.dependsOn;
    if (
      !Array.isArray(dependsOn) ||
      dependsOn.some((dependency) => typeof dependency !== 'string' && typeof dependency !== 'number')
    ) {
      return `Invalid batch payload format: dependsOn of request '${id}' must be an array of request ids.`;
    }
    items.push({ id, method, url: entry.url, headers, body: entry.body, dependsOn: dependsOn.map(String) });
  }
  const ids = new Set(items.map((item) => item.id));
  for (const item of items) {
    const unknown = item.dependsOn.find((dependency) => !ids.has(dependency));
    if (unknown !== undefined)
      return `Invalid batch payload format: request '${item.id}' depends on unknown request '${unknown}'.`;
  }
  if (executionOrder(items).length !== items.length) return 'Invalid batch payload format: dependsOn contains a cycle.';
  return items;
}

/** Request order, except that an item runs only after everything it depends on. Items in a cycle are left out. */
function executionOrder(items: BatchItem[]): BatchItem[] {
  const done = new Set<string>();
  const order: BatchItem[] = [];
  let progressed = true;
  while (progressed && order.length < items.length) {
    progressed = false;
    for (const item of items) {
      if (done.has(item.id) || !item.dependsOn.every((dependency) => done.has(dependency))) continue;
      done.add(item.id);
      order.push(item);
      progressed = true;
    }
  }
  return order;
}
