// The one place where anything that went wrong talking to Entra ID or Graph becomes an MdmError: an HTTP
// answer (top-level or a $batch item), a GraphError from the SDK, a failed fetch, a failed token request.
// Kinds come from statuses, OAuth error codes and error classes, never from message text. The SDK wraps every
// error thrown inside its middleware chain into a GraphError and drops the original, except GraphClientError,
// which it rethrows untouched: so an MdmError decided inside the chain travels as a GraphClientError's
// `customError` and is unwrapped here.
import { GraphClientError, GraphError } from '@microsoft/microsoft-graph-client';
import { describeCause, kindOfStatus, MdmError, parseRetryAfter } from '../errors';

type HeaderSource = Headers | Record<string, string | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return null;
}

interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: { 'request-id'?: unknown } };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A Graph answer that is not 2xx: status, headers and (parsed) body, as a response or a $batch item. */
export function fromHttpAnswer(
  answer: { status: number; headers?: HeaderSource; body?: unknown },
  now = Date.now(),
): MdmError {
  const error = (answer.body as GraphErrorBody | undefined)?.error;
  const code = text(error?.code);
  const message = text(error?.message);
  const requestId = header(answer.headers, 'request-id') ?? text(error?.innerError?.['request-id']);
  const described = [code, message].filter(Boolean).join(': ');
  return new MdmError(
    kindOfStatus(answer.status),
    `Graph answered ${answer.status}${described ? ` ${described}` : ''}`,
    {
      status: answer.status,
      retryAfterMs: parseRetryAfter(header(answer.headers, 'retry-after'), now),
      requestId,
    },
  );
}

/**
 * fetch rejects only when no HTTP answer arrived (reset, timeout, refused, TLS): always worth another try.
 * The cause's code (ECONNRESET, UND_ERR_SOCKET...) goes into the message for whoever reads the log.
 */
export function fromNetworkError(error: unknown): MdmError {
  return new MdmError('transient', `no answer from Graph (${describeCause(error)})`, { cause: error });
}

/** What the token endpoint answered during one getToken call, seen by a pipeline policy (credentials.ts). */
export interface TokenEndpointFailure {
  /** HTTP status, or null when no answer arrived. */
  status: number | null;
  /** The OAuth `error` (e.g. invalid_client), when the body had one. */
  oauthError: string | null;
}

/**
 * A failed getToken. @azure/identity turns MSAL's server errors into AuthenticationRequiredError carrying only
 * a message, so the token endpoint's status and OAuth error are taken from what the pipeline saw.
 */
export function fromCredentialError(error: unknown, seen: TokenEndpointFailure | null): MdmError {
  const name = error instanceof Error ? error.name : 'Error';
  // AuthenticationError (e.g. from a managed identity endpoint) keeps the status and OAuth error itself.
  const own = (typeof error === 'object' && error !== null ? error : {}) as {
    statusCode?: unknown;
    errorResponse?: { error?: unknown };
  };
  const status = seen?.status ?? (typeof own.statusCode === 'number' ? own.statusCode : null);
  const oauthError = seen?.oauthError ?? text(own.errorResponse?.error);
  const detail = [oauthError, status === null ? null : `status ${status}`].filter(Boolean).join(', ');
  const message = `could not get a token for Graph (${name}${detail ? `: ${detail}` : ''})`;
  if (seen && seen.status === null) return new MdmError('transient', message, { cause: error });
  if (status !== null) {
    // The token endpoint answers 400/401 for a wrong secret, certificate, client or tenant: the credential.
    const kind = status === 400 || status === 401 ? 'auth' : kindOfStatus(status);
    return new MdmError(kind, message, { status, cause: error });
  }
  // No answer seen and no status: the credential could not even be used (bad key, no managed identity here).
  return new MdmError('auth', message, { cause: error });
}

/** Packs an MdmError so the Graph SDK passes it through its chain unchanged (see the header). */
export function carry(error: MdmError): GraphClientError {
  const carrier = new GraphClientError(error.message);
  carrier.customError = error;
  return carrier;
}

/** Sorts an error thrown by a Graph client call; undefined when it is not an MDM failure (a bug, an abort). */
export function toMdmError(error: unknown): MdmError | undefined {
  if (error instanceof MdmError) return error;
  if (error instanceof GraphClientError) {
    return error.customError instanceof MdmError ? error.customError : undefined;
  }
  if (error instanceof GraphError) {
    const status = error.statusCode;
    // -1 or 2xx: no usable answer (e.g. a body cut off mid-way and unparseable): worth another try.
    if (status < 300) {
      return new MdmError('transient', `unreadable answer from Graph (${error.code ?? error.name})`, { cause: error });
    }
    const headers = error.headers;
    return new MdmError(
      kindOfStatus(status),
      `Graph answered ${status}${error.code ? ` ${error.code}` : ''}: ${error.message}`,
      {
        status,
        retryAfterMs: parseRetryAfter(headers?.get('retry-after')),
        requestId: error.requestId ?? headers?.get('request-id') ?? null,
        cause: error,
      },
    );
  }
  return undefined;
}
