// The Jamf Pro connector: Warden's MdmConnector contract over the Jamf Pro API; native policy objects are its
// restrictions profiles (native.ts). It wires the credential, the
// paced, retrying, five-at-a-time client and the listings together; wire details live in client.ts,
// paging.ts, mapping.ts, actions.ts and restrictions.ts.
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
import { MdmError } from '../errors';
import type { NativeChange, NativeChangeResult, NativeState } from '../native';
import { Resilience, type RetryPolicy, sharedBuckets } from '../resilience';
import { actionStatus, type ManagementIds, sendAction } from './actions';
import { JamfClient } from './client';
import {
  appScopeOf,
  COMPUTER_SECTIONS,
  type ComputerInventory,
  computerToNormalized,
  externalIdOf,
  MOBILE_SECTIONS,
  type MobileInventory,
  mobileToNormalized,
} from './mapping';
import { applyJamfChange, stateOf } from './native';
import { listAll } from './paging';
import {
  applyRestrictionProfile,
  type RestrictionProfile,
  type RestrictionProfileChange,
  readRestrictionProfiles,
} from './restrictions';
import { JAMF_PACING, type JamfCredentials, type JamfSettings, jamfBaseUrl, PAGE_SIZE, tokenPathOf } from './settings';

export interface JamfConnectorOptions {
  log?: Logger;
  /** An extra CA to trust (an emulator, a TLS-inspecting proxy). */
  caPem?: string;
  retry?: Partial<RetryPolicy>;
  /** Rows per listing page (default and most: 2,000); smaller only to exercise paging in tests. */
  pageSize?: number;
}

const NO_DIRECTORY =
  'Jamf Pro has no directory Warden can read (its users come from an identity provider): connect the directory itself';

export class JamfConnector implements MdmConnector {
  readonly kind = 'jamf' as const;
  readonly hasDirectory = false;
  private readonly client: JamfClient;
  private readonly resilience: Resilience;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly managementIds: ManagementIds = new Map();

  constructor(
    readonly settings: JamfSettings,
    credentials: JamfCredentials,
    options: JamfConnectorOptions = {},
  ) {
    const baseUrl = jamfBaseUrl(settings);
    this.pageSize = Math.min(options.pageSize ?? PAGE_SIZE, PAGE_SIZE);
    const origin = new URL(baseUrl).origin;
    // Only identifiers reach the log: never credentials, tokens or headers.
    this.log = (options.log ?? pino({ enabled: false })).child({ mdm: 'jamf', server: origin });
    this.resilience = new Resilience({
      buckets: [sharedBuckets.bucket(`jamf:${origin.toLowerCase()}`, JAMF_PACING)],
      policy: options.retry,
      onRetry: ({ error, attempt, delayMs }) =>
        this.log.debug({ kind: error.kind, status: error.status, attempt, delayMs }, 'retrying a Jamf Pro request'),
    });
    this.client = new JamfClient({
      baseUrl,
      tokenPath: tokenPathOf(settings),
      credentials,
      resilience: this.resilience,
      caPem: options.caPem,
    });
  }

  stats(): RequestStats {
    return this.resilience.counter.snapshot();
  }

  async verify(options: ListOptions = {}): Promise<void> {
    await this.client.accessToken(options.signal);
    await this.client.send('GET', '/api/v2/mobile-devices', {
      query: { page: '0', 'page-size': '1' },
      signal: options.signal,
    });
  }

  /** Managed mobile devices, then managed Macs; unmanaged records (retired devices) are left out. */
  async *listDevices(options: ListOptions = {}): AsyncGenerator<NormalizedDevice[]> {
    const started = Date.now();
    let devices = 0;
    try {
      for await (const page of this.mobileInventory([...MOBILE_SECTIONS], options.signal)) {
        devices += page.length;
        yield page.map(mobileToNormalized);
      }
      const computers = listAll<ComputerInventory>(this.client, {
        path: '/api/v1/computers-inventory',
        query: { section: [...COMPUTER_SECTIONS], filter: 'general.remoteManagement.managed==true', sort: 'id:asc' },
        what: 'the computer inventory',
        idOf: (row) => row.id ?? null,
        pageSize: this.pageSize,
        signal: options.signal,
      });
      for await (const page of computers) {
        devices += page.length;
        yield page.map(computerToNormalized);
      }
    } catch (error) {
      this.logFailure('listing devices failed', error, devices);
      throw error;
    }
    this.log.info({ devices, ...this.stats(), durationMs: Date.now() - started }, 'listed managed devices');
  }

  /**
   * Devices holding these apps. The reference allows no filter on applications in the mobile device
   * inventory (its filter fields are device fields only), so one paged walk of the APPLICATIONS section,
   * 2,000 devices a page, answers every identifier at once: a few requests, never one per device. Macs'
   * applications are not read yet (the messengers Warden watches are phone apps).
   */
  async *devicesWithApps(identifiers: readonly string[], options: ListOptions = {}): AsyncGenerator<AppHit[]> {
    const wanted = new Map(identifiers.map((identifier) => [identifier.toLowerCase(), identifier]));
    if (wanted.size === 0) return;
    let hits = 0;
    try {
      for await (const page of this.mobileInventory(['APPLICATIONS'], options.signal)) {
        const found: AppHit[] = [];
        for (const device of page) {
          for (const app of device.applications ?? []) {
            const identifier = app.identifier ? wanted.get(app.identifier.toLowerCase()) : undefined;
            if (identifier === undefined) continue;
            found.push({
              identifier,
              // Jamf's inventory has no id of its own for an installed app: the bundle id is the app's key.
              appExternalId: app.identifier!,
              displayName: app.name ?? null,
              version: app.shortVersion ?? app.version ?? null,
              deviceExternalId: externalIdOf({ kind: 'mobile', id: device.mobileDeviceId! }),
              scope: appScopeOf(app.managementStatus),
            });
          }
        }
        hits += found.length;
        if (found.length > 0) yield found;
      }
    } catch (error) {
      this.logFailure('listing devices by app failed', error, hits);
      throw error;
    }
    this.log.info({ identifiers: identifiers.length, hits }, 'listed devices holding watched apps');
  }

  // biome-ignore lint/correctness/useYield: throws before the first page by design (no directory in Jamf).
  async *listUsers(_options: ListOptions = {}): AsyncGenerator<DirectoryUser[]> {
    throw new MdmError('invalid', NO_DIRECTORY);
  }

  async resolveGroups(_names: readonly string[], _options: ListOptions = {}): Promise<GroupResolution> {
    throw new MdmError('invalid', NO_DIRECTORY);
  }

  async sendAction(deviceExternalId: string, action: RemoteAction, options: ListOptions = {}): Promise<void> {
    await sendAction(this.client, deviceExternalId, action, this.managementIds, options.signal);
    this.log.info({ deviceExternalId, action }, 'sent a remote action');
  }

  actionStatus(deviceExternalId: string, action: RemoteAction, options: ListOptions = {}): Promise<RemoteActionStatus> {
    return actionStatus(this.client, deviceExternalId, action, this.managementIds, options.signal);
  }

  /** Warden's restrictions profiles as native objects (exemption lists are Intune's: there are none here). */
  async readNative(options: ReadNativeOptions = {}): Promise<NativeState[]> {
    return (await readRestrictionProfiles(this.client, options.signal)).map(stateOf);
  }

  /** Carries out changes in order; the first failure stops the rest and is thrown. */
  async applyNative(changes: readonly NativeChange[], options: ListOptions = {}): Promise<NativeChangeResult[]> {
    const results: NativeChangeResult[] = [];
    for (const change of changes) {
      const result = await applyJamfChange(this.client, change, options.signal);
      this.log.info({ action: result.action, profileId: result.id }, 'changed a restrictions profile');
      results.push(result);
    }
    return results;
  }

  /** Warden-marked restrictions profiles (Classic API), with their restriction keys and scope. */
  readRestrictionProfiles(options: ListOptions = {}): Promise<RestrictionProfile[]> {
    return readRestrictionProfiles(this.client, options.signal);
  }

  /** Creates, replaces or deletes one restrictions profile; returns its Jamf id. */
  async applyRestrictionProfile(change: RestrictionProfileChange, options: ListOptions = {}): Promise<string> {
    const id = await applyRestrictionProfile(this.client, change, options.signal);
    this.log.info({ op: change.op, profileId: id }, 'changed a restrictions profile');
    return id;
  }

  private mobileInventory(sections: string[], signal?: AbortSignal): AsyncGenerator<MobileInventory[]> {
    return listAll<MobileInventory>(this.client, {
      path: '/api/v2/mobile-devices/detail',
      // Jamf's default order (displayName) is not stable under paging; the id is.
      query: { section: sections, filter: 'managed==true', sort: 'mobileDeviceId:asc' },
      what: 'the mobile device inventory',
      idOf: (row) => row.mobileDeviceId ?? null,
      pageSize: this.pageSize,
      signal,
    });
  }

  private logFailure(message: string, error: unknown, seen: number): void {
    if (error instanceof MdmError) {
      this.log.warn({ kind: error.kind, status: error.status, seen, reason: error.message }, message);
    }
  }
}
