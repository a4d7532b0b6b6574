/**
 * The Graph v1.0 shapes the emulator serves, written out from reference/graph-intune-v1.0.json
 * (managedDevice, deviceActionResult, detectedApp, user). Property names and nullability follow the
 * CSDL exactly; the test suite validates every payload against a schema derived from that file.
 */

// biome-ignore format: a union reads better packed
export type ComplianceState =
  | 'unknown' | 'compliant' | 'noncompliant' | 'conflict' | 'error' | 'inGracePeriod' | 'configManager';

// biome-ignore format: a union reads better packed
export type ManagementState =
  | 'managed' | 'retirePending' | 'retireFailed' | 'wipePending' | 'wipeFailed' | 'unhealthy' | 'deletePending'
  | 'retireIssued' | 'wipeIssued' | 'wipeCanceled' | 'retireCanceled' | 'discovered' | 'unknownFutureValue';

export type ManagedDeviceOwnerType = 'unknown' | 'company' | 'personal' | 'unknownFutureValue';

// biome-ignore format: a union reads better packed
export type DeviceEnrollmentType =
  | 'unknown' | 'userEnrollment' | 'deviceEnrollmentManager' | 'appleBulkWithUser' | 'appleBulkWithoutUser'
  | 'windowsAzureADJoin' | 'windowsBulkUserless' | 'windowsAutoEnrollment' | 'windowsBulkAzureDomainJoin'
  | 'windowsCoManagement' | 'windowsAzureADJoinUsingDeviceAuth' | 'appleUserEnrollment'
  | 'appleUserEnrollmentWithServiceAccount' | 'unknownFutureValue';

// biome-ignore format: a union reads better packed
export type ManagementAgentType =
  | 'eas' | 'mdm' | 'easMdm' | 'intuneClient' | 'easIntuneClient' | 'configurationManagerClient'
  | 'configurationManagerClientMdm' | 'configurationManagerClientMdmEas' | 'unknown' | 'jamf'
  | 'googleCloudDevicePolicyController' | 'microsoft365ManagedMdm' | 'msSense';

export type ActionState = 'none' | 'pending' | 'canceled' | 'active' | 'done' | 'failed' | 'notSupported';

// biome-ignore format: a union reads better packed
export type DetectedAppPlatformType =
  | 'unknown' | 'windows' | 'windowsMobile' | 'windowsHolographic' | 'ios' | 'macOS' | 'chromeOS' | 'androidOSP'
  | 'androidDeviceAdministrator' | 'androidWorkProfile' | 'androidDedicatedAndFullyManaged' | 'unknownFutureValue';

export interface DeviceActionResult {
  actionName: string | null;
  actionState: ActionState;
  startDateTime: string;
  lastUpdatedDateTime: string;
}

/** graph.managedDevice (v1.0), every structural property. */
export interface ManagedDevice {
  id: string;
  activationLockBypassCode: string | null;
  androidSecurityPatchLevel: string | null;
  azureADDeviceId: string | null;
  azureADRegistered: boolean | null;
  complianceGracePeriodExpirationDateTime: string;
  complianceState: ComplianceState;
  configurationManagerClientEnabledFeatures: null;
  deviceActionResults: DeviceActionResult[] | null;
  deviceCategoryDisplayName: string | null;
  deviceEnrollmentType: DeviceEnrollmentType;
  deviceHealthAttestationState: null;
  deviceName: string | null;
  deviceRegistrationState: 'notRegistered' | 'registered' | 'revoked' | 'approvalPending' | 'unknown';
  easActivated: boolean;
  easActivationDateTime: string;
  easDeviceId: string | null;
  emailAddress: string | null;
  enrolledDateTime: string;
  enrollmentProfileName: string | null;
  ethernetMacAddress: string | null;
  exchangeAccessState: 'none' | 'unknown' | 'allowed' | 'blocked' | 'quarantined';
  exchangeAccessStateReason: 'none' | 'unknown' | 'compliant' | 'notCompliant' | 'notEnrolled';
  exchangeLastSuccessfulSyncDateTime: string;
  freeStorageSpaceInBytes: number;
  iccid: string | null;
  imei: string | null;
  isEncrypted: boolean;
  isSupervised: boolean;
  jailBroken: string | null;
  lastSyncDateTime: string;
  managedDeviceName: string | null;
  managedDeviceOwnerType: ManagedDeviceOwnerType;
  managementAgent: ManagementAgentType;
  managementCertificateExpirationDate: string;
  managementState: ManagementState;
  manufacturer: string | null;
  meid: string | null;
  model: string | null;
  notes: string | null;
  operatingSystem: string | null;
  osVersion: string | null;
  partnerReportedThreatState: 'unknown' | 'activated' | 'deactivated' | 'secured' | 'compromised';
  phoneNumber: string | null;
  physicalMemoryInBytes: number;
  remoteAssistanceSessionErrorDetails: string | null;
  remoteAssistanceSessionUrl: string | null;
  requireUserEnrollmentApproval: boolean | null;
  serialNumber: string | null;
  subscriberCarrier: string | null;
  totalStorageSpaceInBytes: number;
  udid: string | null;
  userDisplayName: string | null;
  userId: string | null;
  userPrincipalName: string | null;
  wiFiMacAddress: string | null;
}

export type ManagedDeviceProperty = keyof ManagedDevice;

/** graph.detectedApp (v1.0). */
export interface DetectedApp {
  id: string;
  displayName: string | null;
  version: string | null;
  sizeInByte: number;
  deviceCount: number;
  publisher: string | null;
  platform: DetectedAppPlatformType;
}

/** The part of graph.user the emulated directory models. */
export interface DirectoryUser {
  id: string;
  accountEnabled: boolean;
  businessPhones: string[];
  city: string | null;
  companyName: string | null;
  country: string | null;
  createdDateTime: string;
  department: string | null;
  displayName: string;
  employeeId: string | null;
  givenName: string;
  jobTitle: string | null;
  mail: string;
  mailNickname: string;
  mobilePhone: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  surname: string;
  usageLocation: string | null;
  userPrincipalName: string;
  userType: string;
}

/**
 * Properties the real list endpoint always answers as null (or 0 for the non-nullable Int64), and a
 * single GET fills only when they are named in $select (MDM-APIS.md, "Managed devices").
 */
export const SELECT_ONLY_DEVICE_PROPERTIES = [
  'activationLockBypassCode',
  'ethernetMacAddress',
  'iccid',
  'udid',
  'notes',
  'physicalMemoryInBytes',
] as const satisfies readonly ManagedDeviceProperty[];

/** Every structural property of managedDevice, in the order the service serialises them. */
// biome-ignore format: a list reads better packed
export const MANAGED_DEVICE_PROPERTIES = [
  'id', 'userId', 'deviceName', 'managedDeviceOwnerType', 'enrolledDateTime', 'lastSyncDateTime', 'operatingSystem',
  'complianceState', 'jailBroken', 'managementAgent', 'osVersion', 'easActivated', 'easDeviceId',
  'easActivationDateTime', 'azureADRegistered', 'deviceEnrollmentType', 'enrollmentProfileName',
  'activationLockBypassCode', 'emailAddress', 'azureADDeviceId', 'deviceRegistrationState',
  'deviceCategoryDisplayName', 'isSupervised', 'exchangeLastSuccessfulSyncDateTime', 'exchangeAccessState',
  'exchangeAccessStateReason', 'remoteAssistanceSessionUrl', 'remoteAssistanceSessionErrorDetails', 'isEncrypted',
  'userPrincipalName', 'model', 'manufacturer', 'imei', 'complianceGracePeriodExpirationDateTime', 'serialNumber',
  'phoneNumber', 'androidSecurityPatchLevel', 'userDisplayName', 'configurationManagerClientEnabledFeatures',
  'wiFiMacAddress', 'deviceHealthAttestationState', 'subscriberCarrier', 'meid', 'totalStorageSpaceInBytes',
  'freeStorageSpaceInBytes', 'managedDeviceName', 'partnerReportedThreatState', 'requireUserEnrollmentApproval',
  'managementCertificateExpirationDate', 'iccid', 'udid', 'notes', 'ethernetMacAddress', 'physicalMemoryInBytes',
  'managementState', 'deviceActionResults',
] as const satisfies readonly ManagedDeviceProperty[];

// Compile-time proof that the list above names every property of ManagedDevice.
type MissingDeviceProperty = Exclude<ManagedDeviceProperty, (typeof MANAGED_DEVICE_PROPERTIES)[number]>;
const everyDevicePropertyListed: MissingDeviceProperty extends never ? true : MissingDeviceProperty = true;
void everyDevicePropertyListed;

// biome-ignore format: a list reads better packed
export const DETECTED_APP_PROPERTIES = [
  'id', 'displayName', 'version', 'sizeInByte', 'deviceCount', 'publisher', 'platform',
] as const satisfies readonly (keyof DetectedApp)[];

// biome-ignore format: a list reads better packed
export const USER_PROPERTIES = [
  'id', 'accountEnabled', 'businessPhones', 'city', 'companyName', 'country', 'createdDateTime', 'department',
  'displayName', 'employeeId', 'givenName', 'jobTitle', 'mail', 'mailNickname', 'mobilePhone', 'officeLocation',
  'preferredLanguage', 'surname', 'usageLocation', 'userPrincipalName', 'userType',
] as const satisfies readonly (keyof DirectoryUser)[];

/** What GET /users returns without $select (Graph's documented default property set). */
// biome-ignore format: a list reads better packed
export const USER_DEFAULT_PROPERTIES = [
  'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation',
  'preferredLanguage', 'surname', 'userPrincipalName', 'id',
] as const satisfies readonly (keyof DirectoryUser)[];

// biome-ignore format: a list reads better packed
export const COMPLIANCE_STATES: readonly ComplianceState[] = [
  'unknown', 'compliant', 'noncompliant', 'conflict', 'error', 'inGracePeriod', 'configManager',
];
// biome-ignore format: a list reads better packed
export const MANAGEMENT_STATES: readonly ManagementState[] = [
  'managed', 'retirePending', 'retireFailed', 'wipePending', 'wipeFailed', 'unhealthy', 'deletePending',
  'retireIssued', 'wipeIssued', 'wipeCanceled', 'retireCanceled', 'discovered', 'unknownFutureValue',
];
// biome-ignore format: a list reads better packed
export const MANAGEMENT_AGENTS: readonly ManagementAgentType[] = [
  'eas', 'mdm', 'easMdm', 'intuneClient', 'easIntuneClient', 'configurationManagerClient',
  'configurationManagerClientMdm', 'configurationManagerClientMdmEas', 'unknown', 'jamf',
  'googleCloudDevicePolicyController', 'microsoft365ManagedMdm', 'msSense',
];
