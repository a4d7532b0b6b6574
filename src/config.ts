// Configuration: the environment turned into one typed, validated object. A wrong value stops the process
// with one line naming the variable and what it expects, before anything is opened or listened on.
import fs from 'node:fs';
import path from 'node:path';
import { parseSecretKey } from './connections/secret-box';
import { EvidenceSigner, SigningCredentialsError } from './posture/evidence-signer';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  /** Real PostgreSQL when set; the embedded PGlite data directory otherwise. */
  databaseUrl: string | null;
  dataDir: string;
  databasePoolMax: number;
  bootstrapToken: string | null;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /**
   * How long an API process trusts a token it authenticated before asking the database again. Revoking is
   * immediate in the process that revokes; other processes notice within this time.
   */
  tokenCacheMs: number;
  /** The 32-byte key that encrypts MDM credentials at rest; null lets the embedded database keep its own. */
  secretKey: Buffer | null;
  /**
   * Keys that sealed values before a rotation (WARDEN_SECRET_KEY_PREVIOUS): they open, never seal. Drop them once
   * `warden keys rotate` has re-sealed everything under secretKey.
   */
  secretKeyPrevious: Buffer[];
  /** Extra certificate authorities (PEM) trusted for outbound MDM calls, e.g. an inspecting proxy's or an emulator's. */
  extraCaPem: string | null;
  /** Signs posture evidence; null when WARDEN_EVIDENCE_CERT_FILE and WARDEN_EVIDENCE_KEY_FILE are unset. */
  evidenceSigner: EvidenceSigner | null;
  /** The safety rules of remote actions (see src/actions/rules.ts). */
  actions: ActionSafety;
  posture: PostureSettings;
  /** How many days inventory history is kept (the inventory-prune job); see src/privacy/retention.ts. */
  inventoryRetentionDays: number;
  /**
   * A complete sync that would mark more than this share (percent) of a connection's devices gone at once marks
   * none and fails; the next sync that lists them missing again marks them (see src/inventory/sync.ts).
   */
  syncGoneGuardPercent: number;
  /** API requests per minute per token (per client address without one), as a token bucket; 0 disables. */
  rateLimitPerMinute: number;
}

export interface PostureSettings {
  /** How long one API process reuses a posture summary it made (the figures change at evaluation, not per request). */
  cacheMs: number;
  /** How many days of daily posture snapshots the trend keeps. */
  retentionDays: number;
}

export interface ActionSafety {
  /** Time between approval and sending, during which a wipe or retire can still be canceled. */
  cancelWindowSeconds: number;
  /** Wipes and retires (device count) requested in any hour, across requests. */
  destructivePerHour: number;
  /** Wipes and retires (device count) in one request. */
  destructivePerRequest: number;
  /** A request touching more than this share of the fleet needs a break-glass approval by two admins. */
  fleetSharePercent: number;
  /** A request not approved within this many hours expires. */
  approvalHours: number;
  /**
   * How long a worker's claim on a device action holds before another may take it over (asking the MDM first).
   * Keep it longer than one send can take with its retries: only a worker that died should lose its claim.
   */
  leaseSeconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
  ) {
    super(`${variable}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads one variable; blank counts as unset, so `FOO= warden serve` behaves like no FOO at all. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string | null {
  const raw = read(env, 'DATABASE_URL');
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'a postgres:// or postgresql:// URL, got something that is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `a postgres:// or postgresql:// URL, got a ${url.protocol}// URL`);
  }
  return raw;
}

const BODY_LIMIT = /^(\d+)\s*(b|kb|mb)?$/i;
const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function bodyLimit(env: Env): number {
  const raw = read(env, 'WARDEN_BODY_LIMIT');
  if (raw === undefined) return 1024 * 1024;
  const match = BODY_LIMIT.exec(raw);
  const bytes = match ? Number(match[1]) * UNIT_BYTES[(match[2] ?? 'b').toLowerCase()]! : Number.NaN;
  if (!(bytes >= 1024 && bytes <= 64 * 1024 * 1024)) {
    throw new ConfigError('WARDEN_BODY_LIMIT', `a size from 1kb to 64mb such as "1mb" or "512kb", got "${raw}"`);
  }
  return bytes;
}

/** The bootstrap token is an admin credential: it must be as hard to guess as the ones Warden generates. */
function bootstrapToken(env: Env): string | null {
  const raw = read(env, 'WARDEN_BOOTSTRAP_TOKEN');
  if (raw === undefined) return null;
  if (raw.length < 32 || raw.length > 256 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      'WARDEN_BOOTSTRAP_TOKEN',
      '32 to 256 printable characters without spaces (e.g. `openssl rand -hex 32`)',
    );
  }
  return raw;
}

function secretKey(env: Env): Buffer | null {
  const raw = read(env, 'WARDEN_SECRET_KEY');
  if (raw === undefined) return null;
  const key = parseSecretKey(raw);
  if (!key)
    throw new ConfigError('WARDEN_SECRET_KEY', '32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)');
  return key;
}

/** Comma-separated keys that may open values sealed before a rotation; only meaningful with WARDEN_SECRET_KEY. */
function secretKeyPrevious(env: Env): Buffer[] {
  const raw = read(env, 'WARDEN_SECRET_KEY_PREVIOUS');
  if (raw === undefined) return [];
  if (read(env, 'WARDEN_SECRET_KEY') === undefined) {
    throw new ConfigError(
      'WARDEN_SECRET_KEY',
      'the new key, as WARDEN_SECRET_KEY_PREVIOUS is set (rotate from it to this)',
    );
  }
  const parts = raw.split(',').map((part) => part.trim());
  return parts.map((part, index) => {
    const key = parseSecretKey(part);
    if (!key) {
      throw new ConfigError(
        'WARDEN_SECRET_KEY_PREVIOUS',
        `comma-separated 32-byte keys (64 hex characters or base64); entry ${index + 1} of ${parts.length} is not one`,
      );
    }
    return key;
  });
}

function extraCa(env: Env): string | null {
  const file = read(env, 'WARDEN_EXTRA_CA_FILE');
  if (file === undefined) return null;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('WARDEN_EXTRA_CA_FILE', `a readable PEM file, but ${(error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError('WARDEN_EXTRA_CA_FILE', `PEM certificates, but ${file} holds none`);
  return pem;
}

const EVIDENCE_CERT = 'WARDEN_EVIDENCE_CERT_FILE';
const EVIDENCE_KEY = 'WARDEN_EVIDENCE_KEY_FILE';

/** Both files or neither; the certificate and key are checked now so that a bad pair stops the start. */
function evidenceSigner(env: Env): EvidenceSigner | null {
  const certFile = read(env, EVIDENCE_CERT);
  const keyFile = read(env, EVIDENCE_KEY);
  if (certFile === undefined && keyFile === undefined) return null;
  if (keyFile === undefined)
    throw new ConfigError(EVIDENCE_KEY, `the signer's PEM private key, as ${EVIDENCE_CERT} is set`);
  if (certFile === undefined)
    throw new ConfigError(EVIDENCE_CERT, `the signer's PEM certificate, as ${EVIDENCE_KEY} is set`);
  const readFile = (variable: string, file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        variable,
        `a readable PEM file, but ${(error as NodeJS.ErrnoException).code ?? 'it'} reading ${file}`,
      );
    }
  };
  const certPem = readFile(EVIDENCE_CERT, certFile);
  const keyPem = readFile(EVIDENCE_KEY, keyFile);
  try {
    return EvidenceSigner.fromPem(certPem, keyPem);
  } catch (error) {
    if (error instanceof SigningCredentialsError) {
      throw new ConfigError(error.part === 'key' ? EVIDENCE_KEY : EVIDENCE_CERT, error.expected);
    }
    throw error;
  }
}

export function loadConfig(env: Env = process.env): Config {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: read(env, 'HOST') ?? '127.0.0.1',
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(read(env, 'WARDEN_DATA_DIR') ?? '.warden'),
    databasePoolMax: integer(env, 'WARDEN_DB_POOL_MAX', 10, 1, 200),
    bootstrapToken: bootstrapToken(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    bodyLimitBytes: bodyLimit(env),
    tokenCacheMs: integer(env, 'WARDEN_TOKEN_CACHE_MS', 5000, 0, 60_000),
    secretKey: secretKey(env),
    secretKeyPrevious: secretKeyPrevious(env),
    extraCaPem: extraCa(env),
    evidenceSigner: evidenceSigner(env),
    actions: {
      cancelWindowSeconds: integer(env, 'WARDEN_ACTION_CANCEL_WINDOW_SECONDS', 120, 0, 86_400),
      destructivePerHour: integer(env, 'WARDEN_DESTRUCTIVE_ACTIONS_PER_HOUR', 20, 1, 100_000),
      destructivePerRequest: integer(env, 'WARDEN_DESTRUCTIVE_ACTIONS_PER_REQUEST', 10, 1, 100_000),
      fleetSharePercent: integer(env, 'WARDEN_ACTION_FLEET_SHARE_PERCENT', 5, 1, 100),
      approvalHours: integer(env, 'WARDEN_ACTION_APPROVAL_HOURS', 24, 1, 720),
      leaseSeconds: integer(env, 'WARDEN_ACTION_LEASE_SECONDS', 300, 1, 86_400),
    },
    posture: {
      cacheMs: integer(env, 'WARDEN_POSTURE_CACHE_MS', 1000, 0, 60_000),
      retentionDays: integer(env, 'WARDEN_POSTURE_RETENTION_DAYS', 400, 90, 3650),
    },
    inventoryRetentionDays: integer(env, 'WARDEN_INVENTORY_RETENTION_DAYS', 400, 30, 3650),
    syncGoneGuardPercent: integer(env, 'WARDEN_SYNC_GONE_GUARD_PERCENT', 25, 1, 100),
    rateLimitPerMinute: integer(env, 'WARDEN_RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
  };
}
