/**
 * Request/response primitives shared by the emulator's handlers: the transport-neutral request and
 * response records (a $batch item and a real HTTP request go through the same handlers), and the
 * Graph error shapes, including Intune's habit of wrapping its error text in a JSON string.
 */
import type { IncomingMessage } from 'node:http';
import { randomGuid } from './random';

export interface SimRequest {
  method: string;
  /** Path without query string, e.g. "/v1.0/users". */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  rawBody: string;
  requestId: string;
  clientRequestId: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The content type Graph answers JSON with. */
export const GRAPH_JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function lowerCaseHeaders(
  headers: IncomingMessage['headers'] | Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

export function newRequestIds(headers: Record<string, string>): { requestId: string; clientRequestId: string } {
  const requestId = randomGuid();
  return { requestId, clientRequestId: headers['client-request-id'] ?? requestId };
}

/** Parses a JSON body; undefined for an empty body, an Error for malformed JSON. */
export function parseJsonBody(request: SimRequest): unknown {
  if (request.rawBody.trim() === '') return undefined;
  try {
    return JSON.parse(request.rawBody);
  } catch {
    return new SyntaxError('malformed JSON');
  }
}

/** Graph's innerError.date: UTC without a zone designator, as the service writes it. */
function innerErrorDate(): string {
  return new Date().toISOString().slice(0, 19);
}

/** The standard Graph error body: {"error":{"code","message","innerError":{...}}}. */
export function graphError(
  request: Pick<SimRequest, 'requestId' | 'clientRequestId'>,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: innerErrorDate(),
          'request-id': request.requestId,
          'client-request-id': request.clientRequestId,
        },
      },
    },
  };
}

/**
 * An Intune-service error: same outer shape, but the message is itself a JSON document with the
 * service's operation and activity ids, exactly the way deviceManagement endpoints answer.
 */
export function intuneError(
  request: Pick<SimRequest, 'requestId' | 'clientRequestId' | 'path'>,
  status: number,
  code: string,
  text: string,
): SimResponse {
  const message = JSON.stringify(
    {
      _version: 3,
      Message: `${text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${request.clientRequestId} - Url: https://fef.emulated.manage.microsoft.com${request.path}`,
      CustomApiErrorPhrase: '',
      RetryAfter: null,
      ErrorSourceService: '',
      HttpHeaders: '{}',
    },
    null,
    2,
  ).replace(/\n/g, '\r\n');
  return graphError(request, status, code, message);
}
