// The Intune connector: Warden's MdmConnector contract over Microsoft Graph v1.0. It wires the credential, the
// paced and retrying Graph client and the per-tenant buckets together, and maps what Graph lists into Warden's
// model. Wire details live in the modules it calls: paging.ts, apps.ts, mapping.ts, graph-errors.ts.

import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import pino, { type Logger } from 'pino';
import type {
  AppHit,
  DirectoryUser,
  GroupResolution,
  ListOptions,
  MdmConnector,
  NormalizedDevice,
  ReadNativeOptions,
  RemoteAction,
  RemoteActionStatus,
  RequestStats,
} from '../connector';

/** Intune's bound action for each of Warden's remote actions. */
const INTUNE_ACTIONS: Record<RemoteAction, string> = {
  wipe: 'wipe',
  retire: 'retire',
  lock: 'remoteLock',
  sync: 'syncDevice',
};

import { httpsUrl, MdmError } from '../errors';
import { Resilience, type RetryPolicy, sharedBuckets } from '../resilience';
import { devicesWithApps } from './apps';
import { createGraphClient, send } from './client';
import { buildCredential } from './credentials';
import { toMdmError } from './graph-errors';
import { DEVICE_SELECT, toDirectoryUser, toNormalizedDevice } from './mapping';
import type { NativeState } from './native';
import { listPages } from './paging';
import { applyNativeChange, type NativeChange, type NativeChangeResult, readNativeObjects } from './policies';
import {
  DEFAULT_GRAPH_BASE_URL,
  GRAPH_SCOPE,
  GRAPH_VERSION,
  type IntuneCredentials,
  type IntuneSettings,
  PAGE_SIZE,
  type PacingOverrides,
  pacingWith,
  USER_PAGE_SIZE,
} from './settings';

export interface IntuneConnectorOptions {
  log?: Logger;
  /** An extra CA to trust for Entra ID and Graph (an emulator, a TLS-inspecting proxy). */
  caPem?: string;
  pacing?: PacingOverrides;
  retry?: Partial<RetryPolicy>;
}

export class IntuneConnector implements MdmConnector {
  readonly kind = 'intune' as const;
  readonly hasDirectory = true;
  private readonly credential: TokenCredential;
  private readonly client: Client;
  private readonly resilience: Resilience;
  private readonly log: Logger;
  private readonly graphRoot: string;
  private readonly origin: string;

  constructor(
    readonly settings: IntuneSettings,
    credentials: IntuneCredentials,
    options: IntuneConnectorOptions = {},
  ) {
    const baseUrl = (settings.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, '');
    this.graphRoot = `${baseUrl}/${GRAPH_VERSION}`;
    this.origin = httpsUrl(baseUrl, 'graphBaseUrl').origin;
    // Only identifiers reach the log: never settings objects, credentials, URLs with tokens or headers.
    this.log = (options.log ?? pino({ enabled: false })).child({ mdm: 'intune', tenantId: settings.tenantId });
    this.credential = buildCredential(settings, credentials, { caPem: options.caPem });
    const pacing = pacingWith(options.pacing);
    const tenant = settings.tenantId.toLowerCase();
    this.resilience = new Resilience({
      buckets: [
        sharedBuckets.bucket(`intune:${tenant}`, pacing.tenant),
        sharedBuckets.bucket(`intune:${tenant}:app:${settings.clientId.toLowerCase()}`, pacing.app),
      ],
      policy: options.retry,
      onRetry: ({ error, attempt, delayMs }) =>
        this.log.debug(
          { kind: error.kind, status: error.status, requestId: error.requestId, attempt, delayMs },
          'retrying a Graph request',
        ),
    });
    this.client = createGraphClient({
      credential: this.credential,
      baseUrl,
      resilience: this.resilience,
      caPem: options.caPem,
    });
  }

  stats(): RequestStats {
    return this.resilience.counter.snapshot();
  }

  /** The policy objects the tenant holds in the collections Warden compiles to (complete, or throwing). */
  readNative(options: ReadNativeOptions = {}): Promise<NativeState[]> {
    return readNativeObjects(
      { client: this.client, graphRoot: this.graphRoot, origin: this.origin, signal: options.signal },
      { exemptions: options.exemptions ?? false },
    );
  }

  async resolveGroups(names: readonly string[], options: ListOptions = {}): Promise<GroupResolution> {
    const resolution: GroupResolution = { ids: new Map(), missing: [], ambiguous: [] };
    for (const name of new Set(names)) {
      // OData string literals double their quotes; $top 2 is enough to tell one match from several.
      const filter = `displayName eq '${name.replace(/'/g, "''")}'`;
      const request = this.client.api(`${this.graphRoot}/groups`).filter(filter).select('id,displayName').top(2);
      const page = await send<{ value?: Array<{ id: string; displayName: string }> }>(request, 'get', options.signal);
      const matches = (page.value ?? []).filter((g) => g.displayName === name);
      if (matches.length === 0) resolution.missing.push(name);
      else if (matches.length > 1) resolution.ambiguous.push(name);
      else resolution.ids.set(name, matches[0]!.id.toLowerCase());
    }
    return resolution;
  }

  async sendAction(deviceExternalId: string, action: RemoteAction, options: ListOptions = {}): Promise<void> {
    const path = `${this.graphRoot}/deviceManagement/managedDevices/${encodeURIComponent(deviceExternalId)}/${INTUNE_ACTIONS[action]}`;
    // Device actions take an empty body; a wipe keeps nothing (no enrollment data, no user data).
    const body = action === 'wipe' ? { keepEnrollmentData: false, keepUserData: false } : {};
    await send(this.client.api(path), 'post', options.signal, body);
    this.log.info({ deviceExternalId, action }, 'sent a remote action');
  }

  async actionStatus(
    deviceExternalId: string,
    action: RemoteAction,
    options: ListOptions = {},
  ): Promise<RemoteActionStatus> {
    const path = `${this.graphRoot}/deviceManagement/managedDevices/${encodeURIComponent(deviceExternalId)}`;
    let device: {
      deviceActionResults?: Array<{ actionName?: string; actionState?: string; startDateTime?: string }> | null;
    };
    try {
      device = await send(
        this.client.api(path).select('id,deviceActionResults,managementState'),
        'get',
        options.signal,
      );
    } catch (error) {
      // A retired or wiped device leaves Intune's inventory: that is the action's end, not an error.
      if (error instanceof MdmError && error.kind === 'not-found') return { state: 'gone', startedAt: null };
      throw error;
    }
    const result = (device.deviceActionResults ?? []).find((r) => r.actionName === INTUNE_ACTIONS[action]);
    if (!result) return { state: 'none', startedAt: null };
    const startedAt = result.startDateTime ? new Date(result.startDateTime) : null;
    const state = result.actionState;
    if (state === 'done') return { state: 'done', startedAt };
    if (state === 'failed' || state === 'notSupported') return { state: 'failed', startedAt };
    if (state === 'canceled') return { state: 'canceled', startedAt };
    return { state: 'pending', startedAt };
  }

  /** Carries out changes one by one, in order; the first failure stops the rest and is thrown. */
  async applyNative(changes: readonly NativeChange[], options: ListOptions = {}): Promise<NativeChangeResult[]> {
    const results: NativeChangeResult[] = [];
    const context = { client: this.client, graphRoot: this.graphRoot, origin: this.origin, signal: options.signal };
    for (const change of changes) results.push(await applyNativeChange(context, change));
    this.log.info({ changes: results.length }, 'applied native policy changes');
    return results;
  }

  async verify(options: ListOptions = {}): Promise<void> {
    const { signal } = options;
    try {
      await this.credential.getToken(GRAPH_SCOPE, { abortSignal: signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw toMdmError(error) ?? error;
    }
    await send(this.client.api(`${this.graphRoot}/deviceManagement/managedDevices?$top=1&$select=id`), 'get', signal);
  }

  listDevices(options: ListOptions = {}): AsyncGenerator<NormalizedDevice[]> {
    const select = DEVICE_SELECT.join(',');
    const firstUrl = `${this.graphRoot}/deviceManagement/managedDevices?$select=${select}&$top=${PAGE_SIZE}&$count=true`;
    return this.listing(
      { noun: 'devices', what: 'the managedDevices listing', done: 'listed managed devices' },
      firstUrl,
      toNormalizedDevice,
      options,
    );
  }

  async *devicesWithApps(identifiers: readonly string[], options: ListOptions = {}): AsyncGenerator<AppHit[]> {
    const started = Date.now();
    const before = this.stats();
    let hits = 0;
    const query = {
      client: this.client,
      resilience: this.resilience,
      graphRoot: this.graphRoot,
      origin: this.origin,
      log: this.log,
      signal: options.signal,
    };
    try {
      for await (const page of devicesWithApps(query, identifiers)) {
        hits += page.length;
        yield page;
      }
    } catch (error) {
      this.logFailure('listing devices by app failed', error, hits);
      throw error;
    }
    this.log.info(
      { identifiers: identifiers.length, hits, ...this.spentSince(before), durationMs: Date.now() - started },
      'listed devices holding watched apps',
    );
  }

  listUsers(options: ListOptions = {}): AsyncGenerator<DirectoryUser[]> {
    const firstUrl = `${this.graphRoot}/users?$select=id,userPrincipalName,displayName,accountEnabled&$top=${USER_PAGE_SIZE}&$count=true`;
    // $count on directory objects needs ConsistencyLevel: eventual; with it the listing can be proven complete.
    return this.listing(
      { noun: 'users', what: 'the users listing', done: 'listed directory users' },
      firstUrl,
      toDirectoryUser,
      {
        ...options,
        headers: { ConsistencyLevel: 'eventual' },
      },
    );
  }

  /** A complete-or-throwing listing, mapped row by row, logged with what it cost. */
  private async *listing<T>(
    names: { noun: string; what: string; done: string },
    firstUrl: string,
    map: (row: Record<string, unknown>) => T,
    options: ListOptions & { headers?: Record<string, string> },
  ): AsyncGenerator<T[]> {
    const started = Date.now();
    const before = this.stats();
    const walk = {
      client: this.client,
      origin: this.origin,
      what: names.what,
      signal: options.signal,
      headers: options.headers,
    };
    let rows = 0;
    try {
      for await (const raw of listPages<Record<string, unknown>>(walk, firstUrl, true)) {
        const page = raw.map(map);
        rows += page.length;
        yield page;
      }
    } catch (error) {
      this.logFailure(`listing ${names.noun} failed`, error, rows);
      throw error;
    }
    this.log.info({ [names.noun]: rows, ...this.spentSince(before), durationMs: Date.now() - started }, names.done);
  }

  private spentSince(before: RequestStats): RequestStats {
    const now = this.stats();
    return {
      requests: now.requests - before.requests,
      throttled: now.throttled - before.throttled,
      retried: now.retried - before.retried,
    };
  }

  private logFailure(message: string, error: unknown, seen: number): void {
    if (error instanceof MdmError) {
      this.log.warn(
        { kind: error.kind, status: error.status, requestId: error.requestId, seen, reason: error.message },
        message,
      );
    }
  }
}
