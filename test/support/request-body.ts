// The body of a raw test request to an emulator, with its content type: a form, JSON or XML.

export interface RequestBodyOptions {
  json?: unknown;
  form?: Record<string, string>;
  xml?: string;
  headers?: Record<string, string>;
}

export function requestBody(options: RequestBodyOptions): { headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { ...options.headers };
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { headers, body: new URLSearchParams(options.form).toString() };
  }
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { headers, body: JSON.stringify(options.json) };
  }
  if (options.xml !== undefined) {
    headers['content-type'] = 'application/xml';
    return { headers, body: options.xml };
  }
  return { headers };
}
