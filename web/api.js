// The dashboard's client of Warden's JSON API (/v1, same origin). The token travels only in the Authorization
// header; an error answer becomes an ApiError carrying the API's problem details (RFC 9457).

export class ApiError extends Error {
  /** @param {number} status @param {Record<string, unknown>} problem */
  constructor(status, problem) {
    super(typeof problem.detail === 'string' ? problem.detail : `${problem.title ?? 'Request failed'} (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(response) {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      // fall through to a generic problem
    }
  }
  return { title: response.statusText || 'Request failed', status: response.status };
}

/**
 * A client bound to a token. `onUnauthenticated` runs when the API answers 401 (the token was revoked or expired
 * while the page was open), before the error is thrown.
 */
export function createApi(token, { onUnauthenticated } = {}) {
  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, {
        title: 'Network error',
        detail: 'Warden did not answer; check the connection and retry.',
      });
    }
    if (!response.ok) {
      const error = new ApiError(response.status, await problemOf(response));
      if (response.status === 401) onUnauthenticated?.(error);
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}

/** Builds a query string from the defined values of an object. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}
