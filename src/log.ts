// Structured JSON logs (pino). Secrets are redacted by key wherever they appear in a logged object, so a
// careless `log.info({ credentials })` cannot leak a token, a client secret or a client assertion; raw bytes
// (Buffers, such as the configuration's keys) are logged as their size only. test/secrets/log-redaction.test.ts
// runs a full flow and looks for every secret it used in what was logged.
import pino from 'pino';
import type { LogLevel } from './config';

export type Logger = pino.Logger;

/**
 * Keys whose values never reach a log line, at the top level and up to three levels down (an HTTP client's error
 * holds its request's headers at `config.headers`). Matching is by exact name, so headers are listed in both the
 * spellings clients use.
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'id_token',
  'secret',
  'clientSecret',
  'client_secret',
  'clientAssertion',
  'client_assertion',
  'assertion',
  'password',
  'passphrase',
  'apiKey',
  'api_key',
  'privateKey',
  'privateKeyPem',
  'private_key',
  'pfxBase64',
  'pfxPassword',
  'serviceAccountKey',
  'certificate',
  'credentials',
  'bootstrapToken',
  'databaseUrl',
  // The configuration's keys that seal credentials at rest (WARDEN_SECRET_KEY, WARDEN_SECRET_KEY_PREVIOUS).
  'secretKey',
  'secretKeyPrevious',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const join = (prefix: string) => (name.startsWith('[') ? `${prefix}${name}` : `${prefix}.${name}`);
  return [name, join('*'), join('*.*'), join('*.*.*')];
});

/** How deep binary values are looked for: as deep as the redaction paths reach. */
const BINARY_DEPTH = 4;

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * The logged object with every Buffer, typed array or ArrayBuffer in its plain objects and arrays replaced by a
 * note of its size, copying only what changes. Raw bytes are never worth a log line and may be key material (the
 * configuration's keys are Buffers); and pino's redaction throws, failing the log call, when its wildcards walk
 * into a Buffer. Errors and other class instances are left to their serializers.
 */
function withoutBinary(value: unknown, depth: number): unknown {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary, ${value.byteLength} bytes]`;
  if (depth >= BINARY_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const replaced = withoutBinary(value[i], depth + 1);
      if (replaced !== value[i]) {
        copy ??= value.slice();
        copy[i] = replaced;
      }
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const replaced = withoutBinary(value[key], depth + 1);
    if (replaced !== value[key]) {
      copy ??= { ...value };
      copy[key] = replaced;
    }
  }
  return copy ?? value;
}

/** pino's error serializer (message, stack, causes, own properties), without raw bytes in those properties. */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  for (const key of Object.keys(serialized)) serialized[key] = withoutBinary(serialized[key], 1);
  return serialized;
}

/**
 * Each logger's sibling for access log lines: same level and destination, without the redaction pass, which
 * costs more than the rest of a request to a cached route. An access line holds only the fields `observe` puts
 * there (request id, method, route, path without query, status, duration, token id): never a secret.
 */
const accessLoggers = new WeakMap<Logger, Logger>();

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'warden' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  // One stream for both, so their lines never interleave mid-line.
  const stream = destination ?? pino.destination(1);
  const log = pino(
    {
      ...options,
      formatters: { ...options.formatters, log: (object) => withoutBinary(object, 0) as Record<string, unknown> },
      serializers: { err: serializeError },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    stream,
  );
  accessLoggers.set(log, pino(options, stream));
  return log;
}

/** The logger for access lines of `log` (itself when it was not made by createLogger). */
export function accessLoggerOf(log: Logger): Logger {
  return accessLoggers.get(log) ?? log;
}
