/**
 * Request and response shapes of the emulated Jamf Pro server, and its error bodies: the Jamf Pro API's
 * `{httpStatus, errors: [{code, field, description, id}]}` (the reference's ApiError) and the Classic API's
 * plain-text pages.
 */
import type { components } from '../../mdm/jamf/api-types';

export type ApiError = components['schemas']['ApiError'];

export interface JamfRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
}

export interface JamfResponse {
  status: number;
  /** JSON bodies are objects/arrays; XML and text bodies are strings (with their content type). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** `field` is required by the reference's ApiErrorCause; '' when the error concerns no one field. */
export function apiError(status: number, code: string, description: string, field = ''): JamfResponse {
  const body: ApiError = { httpStatus: status, errors: [{ code, field, description, id: '0' }] };
  return { status, body };
}

export function xml(status: number, document: string): JamfResponse {
  return { status, body: `<?xml version="1.0" encoding="UTF-8"?>${document}`, contentType: 'text/xml;charset=UTF-8' };
}

/** The Classic API answers errors as small HTML pages; only the status matters to clients. */
export function classicError(status: number, message: string): JamfResponse {
  const title = status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : 'Bad Request';
  return {
    status,
    body: `<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${message}</p></body></html>`,
    contentType: 'text/html;charset=UTF-8',
  };
}

/** A whole number query parameter with a default; NaN for garbage (the caller answers 400). */
export function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
}
