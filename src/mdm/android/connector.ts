// The Android connector: Warden's connector contract over the Android Management API (AMAPI), through the
// official client. It wires the service account, the paced and retrying client and the project's bucket
// together and maps what AMAPI lists into Warden's model. Wire details live in client.ts, paging.ts,
// mapping.ts, actions.ts and google-errors.ts. Native policy objects are Warden's AMAPI policies (native.ts).
//
// What AMAPI cannot give, and how the connector says so:
// - a device count: listings cannot be proven complete (see paging.ts); listDevices throws 'incomplete' only for
//   what can be seen (a repeated token, a device listed twice).
// - a directory: listUsers and resolveGroups throw MdmError('invalid'); users are Google accounts or
//   EMM-managed users known only by their resource name (a device's userName).
// - a per-app query: devicesWithApps reads the device listing (see there).

import type { androidmanagement_v1 } from '@googleapis/androidmanagement';
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
import { httpsUrl, MdmError } from '../errors';
import type { NativeChange, NativeChangeResult, NativeState } from '../native';
import type { BucketLimit } from '../resilience';
import { Resilience, type RetryPolicy, sharedBuckets } from '../resilience';
import { actionStatus, sendAction } from './actions';
import { AmapiClient } from './client';
import { type AmapiDevice, appHitsOf, toNormalizedDevice } from './mapping';
import { ANDROID_POLICIES, androidPolicyId, nest, policyIdOf, stateOf, topLevelFields } from './native';
import { walkPages } from './paging';
import {
  type AndroidCredentials,
  type AndroidSettings,
  checkEnterpriseName,
  checkServiceAccountKey,
  DEFAULT_ROOT_URL,
  GOOGLE_TOKEN_URL,
  PAGE_SIZE,
  pacingWith,
} from './settings';

export type AndroidPolicy = androidmanagement_v1.Schema$Policy;

export interface AndroidConnectorOptions {
  log?: Logger;
  /** An extra CA to trust for the token endpoint and the API (an emulator, a TLS-inspecting proxy). */
  caPem?: string;
  pacing?: { project?: Partial<BucketLimit> };
  retry?: Partial<RetryPolicy>;
}

export class AndroidConnector implements MdmConnector {
  readonly kind = 'android' as const;
  readonly hasDirectory = false;
  readonly enterpriseName: string;
  private readonly client: AmapiClient;
  private readonly resilience: Resilience;
  private readonly log: Logger;

  constructor(settings: AndroidSettings, credentials: AndroidCredentials, options: AndroidConnectorOptions = {}) {
    this.enterpriseName = checkEnterpriseName(settings.enterpriseName);
    const key = checkServiceAccountKey(credentials);
    const rootUrl = httpsUrl(settings.rootUrl ?? DEFAULT_ROOT_URL, 'rootUrl').href;
    const tokenUri = httpsUrl(settings.tokenUri ?? key.token_uri ?? GOOGLE_TOKEN_URL, 'tokenUri').href;
    // Only identifiers reach the log: never the key, tokens or headers.
    this.log = (options.log ?? pino({ enabled: false })).child({ mdm: 'android', enterprise: this.enterpriseName });
    this.resilience = new Resilience({
      // The quota is per Cloud project, whichever enterprise the requests are for.
      buckets: [sharedBuckets.bucket(`android:${key.project_id}`, pacingWith(options.pacing).project)],
      policy: options.retry,
      onRetry: ({ error, attempt, delayMs }) =>
        this.log.debug({ kind: error.kind, status: error.status, attempt, delayMs }, 'retrying an AMAPI request'),
    });
    this.client = new AmapiClient({ key, rootUrl, tokenUri, resilience: this.resilience, caPem: options.caPem });
  }

  stats(): RequestStats {
    return this.resilience.counter.snapshot();
  }

  async verify(options: ListOptions = {}): Promise<void> {
    await this.client.token(options.signal);
    await this.client.call((o) => this.client.api.enterprises.get({ name: this.enterpriseName }, o), options);
  }

  async *listDevices(options: ListOptions = {}): AsyncGenerator<NormalizedDevice[]> {
    const started = Date.now();
    let count = 0;
    try {
      for await (const page of this.devicePages(options)) {
        const devices = page.filter((device) => device.state !== 'DELETED').map(toNormalizedDevice);
        count += devices.length;
        yield devices;
      }
    } catch (error) {
      this.logFailure('listing devices failed', error, count);
      throw error;
    }
    this.log.info({ devices: count, ...this.stats(), durationMs: Date.now() - started }, 'listed devices');
  }

  /**
   * AMAPI has no per-app query: the device listing is the only way to learn which devices hold an app, so this
   * is one pass over it (100 devices per request) whatever the number of identifiers, reading each device's
   * application reports and its blocked-app non-compliance. A device whose policy neither reports apps nor blocks
   * the app does not show it; apps on the personal side of a work-profile phone are never visible.
   */
  async *devicesWithApps(identifiers: readonly string[], options: ListOptions = {}): AsyncGenerator<AppHit[]> {
    const watched = new Set(identifiers);
    if (watched.size === 0) return;
    let hits = 0;
    try {
      for await (const page of this.devicePages(options)) {
        const found = page.filter((device) => device.state !== 'DELETED').flatMap((d) => appHitsOf(d, watched));
        hits += found.length;
        yield found;
      }
    } catch (error) {
      this.logFailure('listing devices by app failed', error, hits);
      throw error;
    }
    this.log.info({ identifiers: watched.size, hits }, 'listed devices holding watched apps');
  }

  // biome-ignore lint/correctness/useYield: it only throws, by design (see the header)
  async *listUsers(_options: ListOptions = {}): AsyncGenerator<DirectoryUser[]> {
    throw new MdmError(
      'invalid',
      'the Android Management API has no user directory: read users from the identity provider behind the enterprise',
    );
  }

  async resolveGroups(_names: readonly string[], _options: ListOptions = {}): Promise<GroupResolution> {
    throw new MdmError(
      'invalid',
      'the Android Management API has no directory groups: target Android devices by policy or by enterprise',
    );
  }

  async sendAction(deviceExternalId: string, action: RemoteAction, options: ListOptions = {}): Promise<void> {
    await sendAction(this.actionContext(options), deviceExternalId, action);
    this.log.info({ deviceExternalId, action }, 'sent a remote action');
  }

  actionStatus(deviceExternalId: string, action: RemoteAction, options: ListOptions = {}): Promise<RemoteActionStatus> {
    return actionStatus(this.actionContext(options), deviceExternalId, action);
  }

  /** `enterprises/{e}/policies/warden.<policy>.<key>`: how Warden marks the policies it owns. */
  wardenPolicyName(policy: string, key: string): string {
    return `${this.enterpriseName}/policies/${androidPolicyId(policy, key)}`;
  }

  /** Warden's policies (ids `warden.<policy>.<key>`) as native objects; the others are never read as Warden's. */
  async readNative(options: ReadNativeOptions = {}): Promise<NativeState[]> {
    return (await this.readPolicies(options))
      .map((policy) => stateOf(policy as Record<string, unknown>))
      .filter((state): state is NativeState => state !== null);
  }

  /**
   * Carries out changes in order; the first failure stops the rest and is thrown. A create is a PATCH of the
   * whole policy (PATCH creates in AMAPI, and repeating it is harmless); an update PATCHes only the top-level
   * fields Warden changes; a delete of a policy already gone is done.
   */
  async applyNative(changes: readonly NativeChange[], options: ListOptions = {}): Promise<NativeChangeResult[]> {
    const results: NativeChangeResult[] = [];
    for (const change of changes) {
      if (change.action === 'delete') {
        await this.deletePolicy(change.id, options);
        results.push({ action: 'delete', collection: ANDROID_POLICIES, id: change.id });
        continue;
      }
      const name = `${this.enterpriseName}/policies/${policyIdOf(change.desired)}`;
      const body = nest(change.desired.settings) as AndroidPolicy;
      const mask = change.action === 'update' ? topLevelFields(change.changed.filter((c) => c !== 'displayName')) : [];
      if (change.action === 'update' && mask.length === 0) {
        results.push({ action: 'update', collection: ANDROID_POLICIES, id: name });
        continue;
      }
      const stored = await this.patchPolicy(name, body, options, mask);
      results.push({ action: change.action, collection: ANDROID_POLICIES, id: stored.name ?? name });
    }
    return results;
  }

  /** Deletes a policy of this enterprise; one already gone counts as deleted. */
  async deletePolicy(name: string, options: ListOptions = {}): Promise<void> {
    this.checkPolicyName(name);
    try {
      await this.client.call((o) => this.client.api.enterprises.policies.delete({ name }, o), options);
      this.log.info({ policy: name }, 'deleted a policy');
    } catch (error) {
      if (!(error instanceof MdmError && error.kind === 'not-found')) throw error;
    }
  }

  private checkPolicyName(name: string): void {
    if (!name.startsWith(`${this.enterpriseName}/policies/`) || !/^[^/]+$/.test(name.split('/policies/')[1] ?? '')) {
      throw new MdmError('invalid', `'${name}' is not a policy name of ${this.enterpriseName}`);
    }
  }

  /** Every policy of the enterprise (complete, or throwing, like listDevices). */
  async readPolicies(options: ListOptions = {}): Promise<AndroidPolicy[]> {
    const policies: AndroidPolicy[] = [];
    const pages = walkPages<AndroidPolicy>(
      'the policies listing',
      async (pageToken) => {
        const page = await this.client.call(
          (o) =>
            this.client.api.enterprises.policies.list(
              { parent: this.enterpriseName, pageSize: PAGE_SIZE, pageToken: pageToken ?? undefined },
              o,
            ),
          options,
        );
        return { items: page.policies ?? [], nextPageToken: page.nextPageToken ?? null };
      },
      (policy) => policy.name ?? '',
    );
    for await (const page of pages) policies.push(...page);
    return policies;
  }

  /**
   * Creates or replaces a policy (PATCH without updateMask replaces every field, with one only those fields;
   * repeating it is harmless, so it is retried). `name` is `enterprises/{e}/policies/{id}` of this enterprise. Returns the stored policy
   * with the version Google gave it.
   */
  async patchPolicy(
    name: string,
    policy: AndroidPolicy,
    options: ListOptions = {},
    updateMask: readonly string[] = [],
  ): Promise<AndroidPolicy> {
    this.checkPolicyName(name);
    const { name: _name, version: _version, ...fields } = policy;
    const mask = updateMask.length > 0 ? updateMask.join(',') : undefined;
    const stored = await this.client.call(
      (o) => this.client.api.enterprises.policies.patch({ name, updateMask: mask, requestBody: fields }, o),
      options,
    );
    this.log.info({ policy: name, version: stored.version }, 'patched a policy');
    return stored;
  }

  private actionContext(options: ListOptions) {
    return { client: this.client, enterpriseName: this.enterpriseName, signal: options.signal };
  }

  /** The raw device listing, 100 per page, with the checks paging.ts can make. */
  private devicePages(options: ListOptions): AsyncGenerator<AmapiDevice[]> {
    return walkPages<AmapiDevice>(
      'the devices listing',
      async (pageToken) => {
        const page = await this.client.call(
          (o) =>
            this.client.api.enterprises.devices.list(
              { parent: this.enterpriseName, pageSize: PAGE_SIZE, pageToken: pageToken ?? undefined },
              o,
            ),
          options,
        );
        return { items: page.devices ?? [], nextPageToken: page.nextPageToken ?? null };
      },
      (device) => device.name ?? '',
    );
  }

  private logFailure(message: string, error: unknown, seen: number): void {
    if (error instanceof MdmError) {
      this.log.warn({ kind: error.kind, status: error.status, seen, reason: error.message }, message);
    }
  }
}
