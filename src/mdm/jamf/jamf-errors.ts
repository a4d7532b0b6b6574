// The one place where anything that went wrong talking to Jamf Pro becomes an MdmError: an HTTP answer (the
// Jamf Pro API's `{httpStatus, errors}` body, an OAuth error, a Classic API page), a failed fetch or a timeout.
// Kinds come from statuses and error classes, never from message text.
import { describeCause, kindOfStatus, MdmError, parseRetryAfter } from '../errors';

interface JamfErrorBody {
  errors?: Array<{ code?: unknown; description?: unknown; field?: unknown }>;
  error?: unknown;
  error_description?: unknown;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** What the body says, in a few words: Jamf's first error (code and description) or the OAuth error. */
function describe(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const jamf = body as JamfErrorBody;
  const first = Array.isArray(jamf.errors) ? jamf.errors[0] : undefined;
  const parts = first ? [text(first.code), text(first.description)] : [text(jamf.error), text(jamf.error_description)];
  return parts.filter(Boolean).join(': ');
}

export function fromHttpAnswer(
  answer: { status: number; headers: Headers; body: unknown },
  what: string,
  now = Date.now(),
): MdmError {
  const described = describe(answer.body);
  return new MdmError(
    kindOfStatus(answer.status),
    `Jamf Pro answered ${answer.status} to ${what}${described ? ` (${described})` : ''}`,
    {
      status: answer.status,
      retryAfterMs: parseRetryAfter(answer.headers.get('retry-after'), now),
    },
  );
}

/** The token endpoint: 400 and 401 there (invalid_client, a wrong secret) mean the credential is wrong. */
export function fromTokenAnswer(
  answer: { status: number; headers: Headers; body: unknown },
  now = Date.now(),
): MdmError {
  const error = fromHttpAnswer(answer, 'the token request', now);
  if (answer.status !== 400 && answer.status !== 401) return error;
  return new MdmError('auth', `could not get a Jamf Pro token: ${error.message}`, {
    status: answer.status,
    cause: error,
  });
}

/** No HTTP answer arrived (reset, refused, TLS, timeout): always transient. */
export function fromNetworkError(error: unknown, what: string): MdmError {
  return new MdmError('transient', `no answer from Jamf Pro to ${what} (${describeCause(error)})`, { cause: error });
}

/** A failure that may have been carried out (5xx, reset) on a request that must not be sent twice. */
export function outcomeUnknown(error: MdmError): MdmError {
  if (error.kind !== 'transient') return error;
  return new MdmError('transient', `${error.message}; it may have been carried out, so it was not sent again`, {
    status: error.status,
    cause: error,
    outcomeUnknown: true,
  });
}
