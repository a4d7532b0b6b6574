/**
 * Fault injection: the settings (throttling with or without Retry-After, 5xx, latency, connection
 * resets, the truncated-listing bug), their validation, a seeded injector that decides each request's
 * fate reproducibly, and the CLI option definitions `warden sim` registers with commander.
 */
import { hash32, Rng } from './random';

export interface FaultSettings {
  /** 0..1 share of requests answered 429. */
  throttleRate: number;
  /** Whether those 429s carry Retry-After (seconds). */
  throttleRetryAfter: boolean;
  retryAfterSeconds: number;
  /** 0..1 share answered 500/502/503/504. */
  serverErrorRate: number;
  /** Added to every response. */
  latencyMs: number;
  /** 0..1 share of connections destroyed mid-request (socket reset). */
  resetRate: number;
  /**
   * The known field bug: the managedDevices page set stops after N devices without an @odata.nextLink
   * while @odata.count still says the true total. null = off.
   */
  truncateListingAfter: number | null;
}

export const DEFAULT_FAULTS: Readonly<FaultSettings> = Object.freeze({
  throttleRate: 0,
  throttleRetryAfter: true,
  retryAfterSeconds: 1,
  serverErrorRate: 0,
  latencyMs: 0,
  resetRate: 0,
  truncateListingAfter: null,
});

/** A bad fault value. `code` makes commander print it as "option '...' argument '...' is invalid. <message>". */
export class InvalidFaultSettingError extends Error {
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 1;
}

function share(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new InvalidFaultSettingError(`${name} must be a number between 0 and 1, got ${JSON.stringify(value)}`);
  }
  return number;
}

function wholeNumber(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > max) {
    throw new InvalidFaultSettingError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function truncation(value: unknown, name: string): number | null {
  if (value === null || value === 'off' || value === 'none') return null;
  return wholeNumber(value, name);
}

function flag(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidFaultSettingError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

const VALIDATORS: { [K in keyof FaultSettings]: (value: unknown, name: string) => FaultSettings[K] } = {
  throttleRate: share,
  throttleRetryAfter: flag,
  retryAfterSeconds: (value, name) => wholeNumber(value, name, 3600),
  serverErrorRate: share,
  latencyMs: (value, name) => wholeNumber(value, name, 60_000),
  resetRate: share,
  truncateListingAfter: truncation,
};

/** Validates a partial settings object (e.g. the body of PUT /_sim/faults); unknown keys are errors. */
export function validateFaultSettings(input: unknown): Partial<FaultSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidFaultSettingError('fault settings must be a JSON object');
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const validate = VALIDATORS[key as keyof FaultSettings] as ((v: unknown, n: string) => unknown) | undefined;
    if (!validate) {
      throw new InvalidFaultSettingError(
        `unknown fault setting '${key}'; known: ${Object.keys(VALIDATORS).join(', ')}`,
      );
    }
    out[key] = validate(value, key);
  }
  return out as Partial<FaultSettings>;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle' }
  /** `afterHandling`: the request took effect but its answer was lost (a gateway timeout after a write). */
  | { kind: 'serverError'; status: 500 | 502 | 503 | 504; afterHandling: boolean }
  | { kind: 'reset'; afterHandling: boolean };

const SERVER_ERRORS = [500, 502, 503, 504] as const;

/** Decides each request's fault from a seeded stream, so a run with the same seed and order is reproducible. */
export class FaultInjector {
  private current: FaultSettings;
  private readonly rng: Rng;

  constructor(seed: number, initial: Partial<FaultSettings> = {}) {
    this.current = { ...DEFAULT_FAULTS, ...validateFaultSettings(initial) };
    this.rng = new Rng(hash32(seed, 0xfa17));
  }

  get settings(): FaultSettings {
    return { ...this.current };
  }

  update(partial: Partial<FaultSettings>): FaultSettings {
    this.current = { ...this.current, ...validateFaultSettings(partial) };
    return this.settings;
  }

  /**
   * One request's fate. Resets only apply to whole connections (not $batch items). A 504 on a write
   * comes after the write took effect, like a gateway timing out on a slow backend; resets are equally
   * likely before and after handling, so clients must cope with "did my wipe happen?".
   */
  decide(options: { connectionLevel: boolean; write: boolean }): FaultDecision {
    const { throttleRate, serverErrorRate, resetRate } = this.current;
    if (options.connectionLevel && resetRate > 0 && this.rng.chance(resetRate)) {
      return { kind: 'reset', afterHandling: this.rng.chance(0.5) };
    }
    if (throttleRate > 0 && this.rng.chance(throttleRate)) return { kind: 'throttle' };
    if (serverErrorRate > 0 && this.rng.chance(serverErrorRate)) {
      const status = this.rng.pick(SERVER_ERRORS);
      return { kind: 'serverError', status, afterHandling: options.write && status === 504 };
    }
    return { kind: 'none' };
  }
}

/** A commander-ready option: `program.option(o.flags, o.description, o.parse)`, then faultSettingsFromOptions(program.opts()). */
export interface FaultOptionDefinition {
  flags: string;
  /** The key commander stores the value under (camelCase of the long flag). */
  attribute: string;
  setting: keyof FaultSettings;
  description: string;
  /** Value parser; absent for the negated boolean flag. Throws InvalidFaultSettingError. */
  parse?: (value: string) => FaultSettings[keyof FaultSettings];
}

export const FAULT_OPTIONS: readonly FaultOptionDefinition[] = [
  {
    flags: '--throttle-rate <share>',
    attribute: 'throttleRate',
    setting: 'throttleRate',
    description: 'share of API requests answered 429 Too Many Requests (0..1)',
    parse: (value) => share(value, '--throttle-rate'),
  },
  {
    flags: '--no-retry-after',
    attribute: 'retryAfter',
    setting: 'throttleRetryAfter',
    description: 'send 429 answers without a Retry-After header (clients must back off on their own)',
  },
  {
    flags: '--retry-after-seconds <seconds>',
    attribute: 'retryAfterSeconds',
    setting: 'retryAfterSeconds',
    description: 'Retry-After value on 429 answers, in seconds (default 1)',
    parse: (value) => wholeNumber(value, '--retry-after-seconds', 3600),
  },
  {
    flags: '--error-rate <share>',
    attribute: 'errorRate',
    setting: 'serverErrorRate',
    description: 'share of API requests answered 500/502/503/504 (0..1)',
    parse: (value) => share(value, '--error-rate'),
  },
  {
    flags: '--latency <ms>',
    attribute: 'latency',
    setting: 'latencyMs',
    description: 'milliseconds added to every response',
    parse: (value) => wholeNumber(value, '--latency', 60_000),
  },
  {
    flags: '--reset-rate <share>',
    attribute: 'resetRate',
    setting: 'resetRate',
    description: 'share of connections reset mid-request (0..1)',
    parse: (value) => share(value, '--reset-rate'),
  },
  {
    flags: '--truncate-after <devices>',
    attribute: 'truncateAfter',
    setting: 'truncateListingAfter',
    description:
      "end the device listing after N devices without saying so (no nextLink or page token; 'off' to disable)",
    parse: (value) => truncation(value, '--truncate-after'),
  },
];

/** Maps commander's parsed options (program.opts()) to fault settings; absent options are left out. */
export function faultSettingsFromOptions(options: Record<string, unknown>): Partial<FaultSettings> {
  const out: Record<string, unknown> = {};
  for (const option of FAULT_OPTIONS) {
    const value = options[option.attribute];
    if (value === undefined) continue;
    if (option.setting === 'throttleRetryAfter') {
      // commander stores `--no-retry-after` as retryAfter: false (and true by default).
      out[option.setting] = value !== false;
    } else {
      out[option.setting] = typeof value === 'string' && option.parse ? option.parse(value) : value;
    }
  }
  return validateFaultSettings(out);
}

/**
 * Turns CLI-style flags (e.g. ["--throttle-rate", "0.3", "--no-retry-after"]) into fault settings with
 * the same definitions, for callers without commander. Unknown flags and bad values throw.
 */
export function parseFaultFlags(args: readonly string[]): Partial<FaultSettings> {
  const values: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const [flagName, inline] = (args[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const option = FAULT_OPTIONS.find((candidate) => candidate.flags.split(' ')[0] === flagName);
    if (!option) throw new InvalidFaultSettingError(`unknown fault option '${flagName}'`);
    if (!option.parse) {
      values[option.attribute] = false;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new InvalidFaultSettingError(`option '${option.flags}' argument missing`);
    values[option.attribute] = option.parse(value);
  }
  return faultSettingsFromOptions(values);
}
