// Structured JSON logs (pino). Secrets are redacted by key wherever they appear in a logged object, so a
// careless `log.info({ credentials })` cannot leak a token, a client secret or a client assertion.
import pino from 'pino';
import type { LogLevel } from './config';

export type Logger = pino.Logger;

/** Keys whose values never reach a log line, at the top level and one or two levels down. */
const SECRET_KEYS = [
  'authorization',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'secret',
  'clientSecret',
  'client_secret',
  'clientAssertion',
  'client_assertion',
  'password',
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
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

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
  const log = pino({ ...options, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
  accessLoggers.set(log, pino(options, stream));
  return log;
}

/** The logger for access lines of `log` (itself when it was not made by createLogger). */
export function accessLoggerOf(log: Logger): Logger {
  return accessLoggers.get(log) ?? log;
}
