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

/** What `observe` records of each request: never a secret, so it needs no redaction pass. */
export interface AccessEntry {
  requestId: string;
  method: string;
  /** The route template, or "unmatched". */
  route: string;
  /** The path without its query. */
  path: string;
  status: number;
  ms: number;
  tokenId?: string;
}

/** Writes one access log line. */
export type AccessLog = (entry: AccessEntry) => void;

/**
 * Each logger's access log: lines in pino's format (level, time, service, the entry, msg "request") written to the
 * logger's destination. One line per request is the hottest log call there is, so it skips pino's general path
 * (serializers, the redaction pass, the key walk), and the lines of one turn of the event loop go to the
 * destination as one write, which also spares the destination its per-write bookkeeping. They are written before
 * the next turn, and at exit by the latest.
 */
const accessLogs = new WeakMap<Logger, AccessLog>();
/** Flushes of access logs holding lines, for the exit hook. */
const pendingAccessFlushes = new Set<() => void>();
let exitHookInstalled = false;

/** The time as pino's isoTime writes it; the text up to the second is made once a second, not once a line. */
let secondStartedAt = 0;
let secondText = '';
function isoNow(): string {
  const now = Date.now();
  if (now - secondStartedAt >= 1000 || now < secondStartedAt) {
    secondStartedAt = now - (now % 1000);
    secondText = new Date(secondStartedAt).toISOString().slice(0, 20); // "2026-12-07T00:28:38."
  }
  return `${secondText}${String(now % 1000).padStart(3, '0')}Z`;
}

function accessLogTo(log: Logger, stream: pino.DestinationStream): AccessLog {
  let lines: string[] = [];
  const flush = () => {
    pendingAccessFlushes.delete(flush);
    if (lines.length === 0) return;
    const chunk = lines.join('');
    lines = [];
    stream.write(chunk);
  };
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // First in line, so that the lines reach the destination before pino flushes it at exit.
    process.prependOnceListener('exit', () => {
      for (const pending of pendingAccessFlushes) pending();
    });
  }
  return (entry) => {
    if (!log.isLevelEnabled('info')) return;
    // The request id, method, route template and token id are plain tokens (the request id is checked or made
    // by observe, the method by Node's parser): only the path can hold characters JSON must escape.
    const tokenId = entry.tokenId === undefined ? '' : `,"tokenId":"${entry.tokenId}"`;
    lines.push(
      `{"level":"info","time":"${isoNow()}","service":"warden","requestId":"${entry.requestId}",` +
        `"method":"${entry.method}","route":"${entry.route}","path":${JSON.stringify(entry.path)},` +
        `"status":${entry.status},"ms":${entry.ms}${tokenId},"msg":"request"}\n`,
    );
    if (lines.length === 1) {
      pendingAccessFlushes.add(flush);
      setImmediate(flush);
    }
  };
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  // One stream for the logger and its access log, so that their lines never interleave mid-line.
  const stream = destination ?? pino.destination(1);
  const log = pino(
    {
      level,
      base: { service: 'warden' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => withoutBinary(object, 0) as Record<string, unknown>,
      },
      serializers: { err: serializeError },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    stream,
  );
  accessLogs.set(log, accessLogTo(log, stream));
  return log;
}

/** The access log of `log` (its info lines with msg "request", when it was not made by createLogger). */
export function accessLogOf(log: Logger): AccessLog {
  return accessLogs.get(log) ?? ((entry) => log.info(entry, 'request'));
}
