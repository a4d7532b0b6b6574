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
  'certificate',
  'credentials',
  'bootstrapToken',
  'databaseUrl',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'warden' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
