/**
 * The enterprise's policies: the seeded ones, and PATCH as the API does it (creates or updates; an
 * updateMask replaces only the named top-level fields; `name` and `version` are the server's; enum values
 * are checked for the fields Warden writes, with Google's "Invalid value at ..." message).
 */
import type { androidmanagement_v1 } from '@googleapis/androidmanagement';
import { POLICY_IDS } from './fleet';
import { isPlainObject } from './http';

export type Policy = androidmanagement_v1.Schema$Policy;

/** Thrown for a body the API would refuse with 400 INVALID_ARGUMENT. */
export class InvalidPolicyError extends Error {}

const REPORT_EVERYTHING = {
  applicationReportsEnabled: true,
  deviceSettingsEnabled: true,
  softwareInfoEnabled: true,
  memoryInfoEnabled: false,
  networkInfoEnabled: false,
};

export function seededPolicies(): Array<Omit<Policy, 'name' | 'version'> & { id: string }> {
  return [
    {
      id: POLICY_IDS.workProfile,
      statusReportingSettings: REPORT_EVERYTHING,
      applications: [{ packageName: 'com.google.android.gm', installType: 'FORCE_INSTALLED' }],
      crossProfilePolicies: { showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED' },
    },
    {
      id: POLICY_IDS.fullyManaged,
      statusReportingSettings: REPORT_EVERYTHING,
      applications: [
        { packageName: 'com.google.android.gm', installType: 'FORCE_INSTALLED' },
        { packageName: 'com.facebook.orca', installType: 'BLOCKED' },
      ],
    },
    // Reports nothing but blocks WhatsApp: its devices show WhatsApp only as a non-compliance.
    { id: POLICY_IDS.minimal, applications: [{ packageName: 'com.whatsapp', installType: 'BLOCKED' }] },
  ];
}

const ENUMS: Record<string, readonly string[]> = {
  'applications.installType': [
    'INSTALL_TYPE_UNSPECIFIED',
    'PREINSTALLED',
    'FORCE_INSTALLED',
    'BLOCKED',
    'AVAILABLE',
    'REQUIRED_FOR_SETUP',
    'KIOSK',
    'CUSTOM',
  ],
  encryptionPolicy: ['ENCRYPTION_POLICY_UNSPECIFIED', 'ENABLED_WITHOUT_PASSWORD', 'ENABLED_WITH_PASSWORD'],
  'personalUsagePolicies.personalPlayStoreMode': ['PLAY_STORE_MODE_UNSPECIFIED', 'BLACKLIST', 'BLOCKLIST', 'ALLOWLIST'],
  'personalUsagePolicies.personalApplications.installType': ['INSTALL_TYPE_UNSPECIFIED', 'BLOCKED', 'AVAILABLE'],
  'crossProfilePolicies.crossProfileCopyPaste': [
    'CROSS_PROFILE_COPY_PASTE_UNSPECIFIED',
    'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
    'CROSS_PROFILE_COPY_PASTE_ALLOWED',
  ],
  'crossProfilePolicies.crossProfileDataSharing': [
    'CROSS_PROFILE_DATA_SHARING_UNSPECIFIED',
    'CROSS_PROFILE_DATA_SHARING_DISALLOWED',
    'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
    'CROSS_PROFILE_DATA_SHARING_ALLOWED',
  ],
  'crossProfilePolicies.showWorkContactsInPersonalProfile': [
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_UNSPECIFIED',
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED_EXCEPT_SYSTEM',
  ],
  playStoreMode: ['PLAY_STORE_MODE_UNSPECIFIED', 'WHITELIST', 'BLACKLIST'],
};

const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Walks the body and checks every enum value Warden may write; throws InvalidPolicyError like the API. */
function checkEnums(value: unknown, path: string[], where: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkEnums(item, path, `${where}[${index}]`);
    });
    return;
  }
  if (!isPlainObject(value)) {
    const members = ENUMS[path.join('.')];
    if (members && !members.includes(String(value))) {
      throw new InvalidPolicyError(
        `Invalid value at '${where}' (type.googleapis.com/google.android.devicemanagement.v1.${path.at(-1)}), "${String(value)}"`,
      );
    }
    return;
  }
  for (const [key, child] of Object.entries(value)) checkEnums(child, [...path, key], `${where}.${snake(key)}`);
}

export class PolicyStore {
  private readonly policies = new Map<string, Policy>();

  constructor(private readonly enterpriseName: string) {
    for (const { id, ...fields } of seededPolicies())
      this.policies.set(id, { ...fields, name: this.nameOf(id), version: '1' });
  }

  nameOf(id: string): string {
    return `${this.enterpriseName}/policies/${id}`;
  }

  get(id: string): Policy | undefined {
    const policy = this.policies.get(id);
    return policy ? structuredClone(policy) : undefined;
  }

  list(): Policy[] {
    return [...this.policies.values()].map((policy) => structuredClone(policy));
  }

  remove(id: string): boolean {
    return this.policies.delete(id);
  }

  /** PATCH: creates or updates; returns the stored policy with its new version. */
  patch(id: string, body: unknown, updateMask: string | null): Policy {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new InvalidPolicyError(`Invalid policy id: ${id}`);
    if (!isPlainObject(body)) throw new InvalidPolicyError('Invalid JSON payload received.');
    const { name: _name, version: _version, ...fields } = body;
    checkEnums(fields, [], 'policy');
    const existing = this.policies.get(id);
    let next: Policy;
    if (updateMask && existing) {
      next = { ...existing };
      for (const field of updateMask
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)) {
        const key = field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()) as keyof Policy;
        if (key in fields) (next as Record<string, unknown>)[key] = fields[key];
        else delete (next as Record<string, unknown>)[key];
      }
    } else {
      next = { ...(fields as Policy) };
    }
    next.name = this.nameOf(id);
    next.version = String(Number(existing?.version ?? '0') + 1);
    this.policies.set(id, next);
    return structuredClone(next);
  }

  /** The packages a policy blocks (applications[] with installType BLOCKED). */
  blockedPackages(id: string): Set<string> {
    const policy = this.policies.get(id);
    return new Set(
      (policy?.applications ?? [])
        .filter((app) => app.installType === 'BLOCKED' && app.packageName)
        .map((app) => app.packageName as string),
    );
  }
}
