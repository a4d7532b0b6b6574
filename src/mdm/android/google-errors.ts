// The one place where anything that went wrong talking to Google's token endpoint or the Android Management API
// becomes an MdmError. Kinds come from HTTP statuses and OAuth error codes, never from message text. Errors
// arrive from gaxios (the HTTP layer of both official libraries) and are read by shape rather than by class,
// because @googleapis/androidmanagement and google-auth-library each bring their own copy of gaxios.
import { describeCause, kindOfStatus, MdmError, parseRetryAfter } from '../errors';

interface HttpFailure {
  response?: { status?: unknown; headers?: unknown; data?: unknown };
  code?: unknown;
  cause?: unknown;
  name?: unknown;
}

function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const value = (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof value === 'string' ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** The HTTP answer a failure carries, if one arrived. */
function answerOf(error: unknown): { status: number; headers: unknown; data: unknown } | null {
  const response = (error as HttpFailure | null)?.response;
  if (!response || typeof response.status !== 'number') return null;
  return { status: response.status, headers: response.headers, data: response.data };
}

/** A failed API call: Google's {error:{code,message,status}}, a non-JSON page (a 502), or no answer at all. */
export function fromApiError(error: unknown, now = Date.now()): MdmError {
  const answer = answerOf(error);
  if (!answer) return fromNetworkError(error);
  const body = (answer.data as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  const described = [text(body?.status), text(body?.message)].filter(Boolean).join(': ');
  return new MdmError(
    kindOfStatus(answer.status),
    `the Android Management API answered ${answer.status}${described ? ` ${described}` : ''}`,
    {
      status: answer.status,
      retryAfterMs: parseRetryAfter(header(answer.headers, 'retry-after'), now),
      requestId: header(answer.headers, 'x-request-id'),
      cause: error,
    },
  );
}

/** No HTTP answer (reset, refused, TLS, timeout): always transient; the cause's code goes into the message. */
export function fromNetworkError(error: unknown): MdmError {
  return new MdmError('transient', `no answer from the Android Management API (${describeCause(error)})`, {
    cause: error,
  });
}

/**
 * A failed token request. Google answers 400 invalid_grant for a wrong key, an unknown account or a bad
 * assertion, and 401 invalid_client for a disabled or deleted key: the credential, hence auth. No answer, a 429
 * or a 5xx from the token endpoint is not the credential's fault.
 */
export function fromTokenError(error: unknown): MdmError {
  const answer = answerOf(error);
  if (!answer) {
    // An exception with no HTTP exchange behind it (e.g. an unreadable private key) is the credential's.
    const networkish = (error as HttpFailure | null)?.name === 'GaxiosError';
    return networkish
      ? new MdmError('transient', `could not reach Google's token endpoint (${describeCause(error)})`, { cause: error })
      : new MdmError('auth', `could not sign a token request with the service account key (${describeCause(error)})`, {
          cause: error,
        });
  }
  const oauthError = text((answer.data as { error?: unknown } | undefined)?.error);
  const message = `could not get a token for the Android Management API (${[oauthError, `status ${answer.status}`].filter(Boolean).join(', ')})`;
  const kind = answer.status === 400 || answer.status === 401 ? 'auth' : kindOfStatus(answer.status);
  return new MdmError(kind, message, {
    status: answer.status,
    retryAfterMs: parseRetryAfter(header(answer.headers, 'retry-after')),
    cause: error,
  });
}
