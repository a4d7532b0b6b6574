/**
 * Static data behind the seeded fleet: people's names, organisation details, device hardware and
 * operating system versions per enrollment profile, and the detected-app catalogue (including the
 * consumer messengers the governance rules look for). Pure data, no logic.
 */
import type {
  DetectedAppPlatformType,
  DeviceEnrollmentType,
  ManagedDeviceOwnerType,
  ManagementAgentType,
} from './types';

// biome-ignore format: a data table reads better packed
export const GIVEN_NAMES = [
  'Adele', 'Alex', 'Amara', 'Amelia', 'Ana', 'Andrei', 'Anika', 'Arjun', 'Astrid', 'Ayesha', 'Beatriz', 'Ben',
  'Bianca', 'Bruno', 'Camille', 'Carlos', 'Carmen', 'Chen', 'Chiara', 'Chloe', 'Christian', 'Clara', 'Connor',
  'Daniel', 'Daniela', 'David', 'Diego', 'Dmitri', 'Elena', 'Elif', 'Eliza', 'Emeka', 'Emil', 'Emily', 'Emma',
  'Erik', 'Esther', 'Ethan', 'Fatima', 'Felix', 'Femi', 'Fiona', 'Francesca', 'Gabriel', 'Grace', 'Hana', 'Hannah',
  'Hamza', 'Harper', 'Hassan', 'Heidi', 'Henrik', 'Hugo', 'Ian', 'Ines', 'Ingrid', 'Isaac', 'Isabel', 'Ivan', 'Jack',
  'Jakub', 'James', 'Jana', 'Javier', 'Jessica', 'Ji-woo', 'Joao', 'Johan', 'Jonas', 'Jose', 'Joseph', 'Julia',
  'Julien', 'Kai', 'Karin', 'Kasia', 'Katarina', 'Kenji', 'Kofi', 'Laila', 'Lars', 'Laura', 'Leila', 'Leon', 'Liam',
  'Lina', 'Lucas', 'Lucia', 'Luis', 'Luka', 'Maja', 'Malik', 'Marco', 'Maria', 'Marta', 'Mateo', 'Matteo', 'Maya',
  'Mei', 'Mia', 'Miguel', 'Mila', 'Mohammed', 'Nadia', 'Naomi', 'Nathan', 'Nia', 'Nikolai', 'Nina', 'Noah', 'Nora',
  'Olga', 'Oliver', 'Olivia', 'Omar', 'Oscar', 'Pablo', 'Paolo', 'Patrick', 'Paula', 'Pedro', 'Petra', 'Priya',
  'Rafael', 'Rahul', 'Rania', 'Ravi', 'Rebecca', 'Rosa', 'Ruth', 'Ryan', 'Saanvi', 'Samir', 'Samuel', 'Sara',
  'Sebastian', 'Sienna', 'Simon', 'Sofia', 'Sophie', 'Stefan', 'Sunita', 'Tariq', 'Thomas', 'Tobias', 'Tomas',
  'Valentina', 'Victor', 'Wei', 'William', 'Yara', 'Yusuf', 'Zainab', 'Zara', 'Zoe',
] as const;

// biome-ignore format: a data table reads better packed
export const SURNAMES = [
  'Abbott', 'Adeyemi', 'Ahmed', 'Almeida', 'Andersen', 'Anderson', 'Bailey', 'Baker', 'Banerjee', 'Barnes', 'Becker',
  'Bennett', 'Berg', 'Bianchi', 'Brooks', 'Brown', 'Campbell', 'Carter', 'Castro', 'Chan', 'Chowdhury', 'Clarke',
  'Cohen', 'Collins', 'Costa', 'Cruz', 'Dahl', 'Davies', 'Diaz', 'Dubois', 'Edwards', 'Eriksson', 'Evans', 'Farah',
  'Ferrari', 'Fischer', 'Fitzgerald', 'Fontaine', 'Fraser', 'Garcia', 'Gomez', 'Gonzalez', 'Graham', 'Green',
  'Gupta', 'Haddad', 'Hall', 'Hansen', 'Harris', 'Hoffmann', 'Horvath', 'Hughes', 'Hussain', 'Ivanova', 'Jackson',
  'Jansen', 'Jensen', 'Johansson', 'Johnson', 'Jones', 'Kaur', 'Kelly', 'Khan', 'Kim', 'King', 'Klein', 'Kowalski',
  'Kumar', 'Larsen', 'Laurent', 'Lee', 'Lewis', 'Li', 'Lindqvist', 'Lopez', 'Martin', 'Martinez', 'Meyer', 'Mendes',
  'Miller', 'Mitchell', 'Moreau', 'Morgan', 'Moretti', 'Murphy', 'Nakamura', 'Nguyen', 'Nielsen', 'Novak', 'Nowak',
  'Obi', 'OBrien', 'Okafor', 'Olsen', 'Ortiz', 'Osei', 'Park', 'Patel', 'Pereira', 'Petrov', 'Phillips', 'Popescu',
  'Quinn', 'Rahman', 'Reddy', 'Reid', 'Ribeiro', 'Richter', 'Roberts', 'Robinson', 'Rodriguez', 'Romano', 'Rossi',
  'Russo', 'Sanchez', 'Santos', 'Sato', 'Schmidt', 'Schneider', 'Scott', 'Shah', 'Silva', 'Singh', 'Smith',
  'Sorensen', 'Stewart', 'Suzuki', 'Tanaka', 'Taylor', 'Thomas', 'Thompson', 'Torres', 'Turner', 'Van Dijk',
  'Vargas', 'Vasquez', 'Wagner', 'Walker', 'Wang', 'Watson', 'Weber', 'White', 'Williams', 'Wilson', 'Wright',
  'Yamamoto', 'Yilmaz', 'Young', 'Zhang',
] as const;

export const DEPARTMENTS = [
  ['Sales', ['Account Executive', 'Sales Manager', 'Sales Development Representative']],
  [
    'Engineering',
    ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'Site Reliability Engineer'],
  ],
  ['Finance', ['Financial Analyst', 'Accountant', 'Controller']],
  ['Human Resources', ['HR Business Partner', 'Recruiter']],
  ['Marketing', ['Marketing Manager', 'Content Strategist', 'Product Marketing Manager']],
  ['Operations', ['Operations Analyst', 'Logistics Coordinator', 'Facilities Manager']],
  ['Legal', ['Legal Counsel', 'Paralegal']],
  ['Customer Success', ['Customer Success Manager', 'Support Engineer']],
  ['IT', ['IT Administrator', 'Service Desk Analyst', 'Security Analyst']],
] as const;

export const OFFICES = [
  ['London', 'United Kingdom', 'GB', 'en-GB'],
  ['Manchester', 'United Kingdom', 'GB', 'en-GB'],
  ['Dublin', 'Ireland', 'IE', 'en-IE'],
  ['Amsterdam', 'Netherlands', 'NL', 'nl-NL'],
  ['Berlin', 'Germany', 'DE', 'de-DE'],
  ['Paris', 'France', 'FR', 'fr-FR'],
  ['Madrid', 'Spain', 'ES', 'es-ES'],
  ['New York', 'United States', 'US', 'en-US'],
  ['Seattle', 'United States', 'US', 'en-US'],
] as const;

export const MAIL_DOMAIN = 'contoso.example';
export const COMPANY_NAME = 'Contoso Ltd';

export interface HardwareModel {
  manufacturer: string;
  model: string;
  /** Marketing name used in user-chosen device names ("Adele's iPhone"). */
  family: string;
  cellular: boolean;
  storageGb: readonly number[];
  memoryGb: number;
}

export type ProfileKey =
  | 'androidWorkProfile'
  | 'androidFullyManaged'
  | 'androidDeviceAdmin'
  | 'iosSupervised'
  | 'iosPersonal'
  | 'iosUserEnrollment'
  | 'ipadSupervised'
  | 'windows'
  | 'macOS';

export interface DeviceProfile {
  key: ProfileKey;
  weight: number;
  operatingSystem: 'Android' | 'iOS' | 'iPadOS' | 'Windows' | 'macOS';
  ownerType: ManagedDeviceOwnerType;
  enrollmentType: DeviceEnrollmentType;
  managementAgent: ManagementAgentType;
  supervised: boolean;
  appPlatform: DetectedAppPlatformType;
  /** Intune reports every installed app on corporate devices, only managed apps on personal ones. */
  fullInventory: boolean;
  /** Privacy-restricted enrollments (user enrollment, personal work profile) hide hardware identifiers. */
  hidesIdentifiers: boolean;
  /** The platform tag Intune puts in managedDeviceName: user_TAG_date_time. */
  nameTag: string;
  enrollmentProfileName: string | null;
  hardware: readonly HardwareModel[];
  osVersions: readonly (readonly [string, number])[];
  /** Share of devices with encryption off / root or jailbreak detected. */
  unencryptedRate: number;
  jailbreakRate: number;
}

/** Hardware tables: manufacturer, model, marketing family, cellular, storage options (GB), memory (GB). */
function models(
  rows: readonly (readonly [string, string, string, boolean, readonly number[], number])[],
): HardwareModel[] {
  return rows.map(([manufacturer, model, family, cellular, storageGb, memoryGb]) => ({
    manufacturer,
    model,
    family,
    cellular,
    storageGb,
    memoryGb,
  }));
}

// biome-ignore format: a data table reads better packed
const IPHONES = models([
  ['Apple', 'iPhone 13', 'iPhone', true, [128, 256], 4],
  ['Apple', 'iPhone 14', 'iPhone', true, [128, 256], 6],
  ['Apple', 'iPhone 15', 'iPhone', true, [128, 256], 6],
  ['Apple', 'iPhone 15 Pro', 'iPhone', true, [256, 512], 8],
  ['Apple', 'iPhone 16', 'iPhone', true, [128, 256], 8],
  ['Apple', 'iPhone SE (3rd generation)', 'iPhone', true, [64, 128], 4],
]);
// biome-ignore format: a data table reads better packed
const IPADS = models([
  ['Apple', 'iPad (10th generation)', 'iPad', false, [64, 256], 4],
  ['Apple', 'iPad Air (5th generation)', 'iPad', true, [64, 256], 8],
  ['Apple', 'iPad Pro (11-inch) (4th generation)', 'iPad', true, [128, 512], 8],
]);
// biome-ignore format: a data table reads better packed
const ANDROID_PHONES = models([
  ['samsung', 'SM-S918B', 'Galaxy S23 Ultra', true, [256, 512], 12],
  ['samsung', 'SM-S921B', 'Galaxy S24', true, [128, 256], 8],
  ['samsung', 'SM-A546B', 'Galaxy A54', true, [128, 256], 8],
  ['samsung', 'SM-G991B', 'Galaxy S21', true, [128, 256], 8],
  ['Google', 'Pixel 8', 'Pixel 8', true, [128, 256], 8],
  ['Google', 'Pixel 7a', 'Pixel 7a', true, [128], 8],
  ['motorola', 'motorola edge 40', 'edge 40', true, [256], 8],
  ['Xiaomi', '2201116SG', 'Redmi Note 11', true, [64, 128], 4],
]);
// biome-ignore format: a data table reads better packed
const RUGGED_ANDROID = models([
  ['Zebra Technologies', 'TC52', 'TC52', false, [32], 4],
  ['samsung', 'SM-G736B', 'Galaxy XCover6 Pro', true, [128], 6],
]);
// biome-ignore format: a data table reads better packed
const WINDOWS_PCS = models([
  ['LENOVO', '21CF004UUK', 'ThinkPad T14 Gen 3', false, [256, 512], 16],
  ['LENOVO', '21HD0053UK', 'ThinkPad X1 Carbon Gen 11', false, [512], 32],
  ['Dell Inc.', 'Latitude 5440', 'Latitude', false, [256, 512], 16],
  ['HP', 'HP EliteBook 840 G10 Notebook PC', 'EliteBook', false, [512], 16],
  ['Microsoft Corporation', 'Surface Laptop 5', 'Surface', false, [256], 16],
]);
// biome-ignore format: a data table reads better packed
const MACS = models([
  ['Apple', 'MacBook Air (M2, 2022)', 'MacBook Air', false, [256, 512], 16],
  ['Apple', 'MacBook Pro (14-inch, M3, 2023)', 'MacBook Pro', false, [512, 1024], 18],
  ['Apple', 'MacBook Pro (16-inch, 2021)', 'MacBook Pro', false, [1024], 32],
]);

const IOS_VERSIONS = [
  ['17.6.1', 2],
  ['18.1.1', 3],
  ['18.3.2', 5],
  ['16.7.10', 1],
] as const;
const ANDROID_VERSIONS = [
  ['13', 2],
  ['14', 5],
  ['15', 3],
] as const;
const WINDOWS_VERSIONS = [
  ['10.0.22631.4460', 5],
  ['10.0.26100.2314', 3],
  ['10.0.19045.5131', 2],
] as const;
const MACOS_VERSIONS = [
  ['14.7.1', 3],
  ['15.1.1', 4],
  ['13.7.1', 1],
] as const;

// biome-ignore format: a data table reads better packed
export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  {
    key: 'androidWorkProfile', weight: 22, operatingSystem: 'Android', ownerType: 'personal',
    enrollmentType: 'userEnrollment', managementAgent: 'mdm', supervised: false,
    appPlatform: 'androidWorkProfile', fullInventory: false, hidesIdentifiers: true, nameTag: 'AndroidForWork',
    enrollmentProfileName: null, hardware: ANDROID_PHONES, osVersions: ANDROID_VERSIONS,
    unencryptedRate: 0.02, jailbreakRate: 0.02,
  },
  {
    // v1.0's deviceEnrollmentType has no Android Enterprise members; the newer ones ("androidEnterpriseFullyManaged")
    // sit after unknownFutureValue, so an evolvable-enum v1.0 client is answered unknownFutureValue.
    key: 'androidFullyManaged', weight: 12, operatingSystem: 'Android', ownerType: 'company',
    enrollmentType: 'unknownFutureValue', managementAgent: 'googleCloudDevicePolicyController', supervised: false,
    appPlatform: 'androidDedicatedAndFullyManaged', fullInventory: true, hidesIdentifiers: false,
    nameTag: 'AndroidEnterprise', enrollmentProfileName: 'Contoso Fully Managed',
    hardware: [...ANDROID_PHONES, ...RUGGED_ANDROID], osVersions: ANDROID_VERSIONS,
    unencryptedRate: 0.01, jailbreakRate: 0.01,
  },
  {
    key: 'androidDeviceAdmin', weight: 3, operatingSystem: 'Android', ownerType: 'personal',
    enrollmentType: 'userEnrollment', managementAgent: 'mdm', supervised: false,
    appPlatform: 'androidDeviceAdministrator', fullInventory: true, hidesIdentifiers: false, nameTag: 'Android',
    enrollmentProfileName: null, hardware: ANDROID_PHONES, osVersions: [['12', 3], ['13', 2]],
    unencryptedRate: 0.08, jailbreakRate: 0.05,
  },
  {
    key: 'iosSupervised', weight: 20, operatingSystem: 'iOS', ownerType: 'company',
    enrollmentType: 'appleBulkWithUser', managementAgent: 'mdm', supervised: true, appPlatform: 'ios',
    fullInventory: true, hidesIdentifiers: false, nameTag: 'iPhone', enrollmentProfileName: 'Contoso ADE iPhone',
    hardware: IPHONES, osVersions: IOS_VERSIONS, unencryptedRate: 0.005, jailbreakRate: 0.005,
  },
  {
    key: 'iosPersonal', weight: 9, operatingSystem: 'iOS', ownerType: 'personal', enrollmentType: 'userEnrollment',
    managementAgent: 'mdm', supervised: false, appPlatform: 'ios', fullInventory: false, hidesIdentifiers: false,
    nameTag: 'iPhone', enrollmentProfileName: null, hardware: IPHONES, osVersions: IOS_VERSIONS,
    unencryptedRate: 0.02, jailbreakRate: 0.015,
  },
  {
    key: 'iosUserEnrollment', weight: 6, operatingSystem: 'iOS', ownerType: 'personal',
    enrollmentType: 'appleUserEnrollment', managementAgent: 'mdm', supervised: false, appPlatform: 'ios',
    fullInventory: false, hidesIdentifiers: true, nameTag: 'iPhone', enrollmentProfileName: null,
    hardware: IPHONES, osVersions: IOS_VERSIONS, unencryptedRate: 0, jailbreakRate: 0,
  },
  {
    key: 'ipadSupervised', weight: 3, operatingSystem: 'iPadOS', ownerType: 'company',
    enrollmentType: 'appleBulkWithUser', managementAgent: 'mdm', supervised: true, appPlatform: 'ios',
    fullInventory: true, hidesIdentifiers: false, nameTag: 'iPad', enrollmentProfileName: 'Contoso ADE iPad',
    hardware: IPADS, osVersions: IOS_VERSIONS, unencryptedRate: 0, jailbreakRate: 0,
  },
  {
    key: 'windows', weight: 19, operatingSystem: 'Windows', ownerType: 'company',
    enrollmentType: 'windowsAzureADJoin', managementAgent: 'mdm', supervised: false, appPlatform: 'windows',
    fullInventory: true, hidesIdentifiers: false, nameTag: 'Windows', enrollmentProfileName: 'Contoso Autopilot',
    hardware: WINDOWS_PCS, osVersions: WINDOWS_VERSIONS, unencryptedRate: 0.06, jailbreakRate: 0,
  },
  {
    key: 'macOS', weight: 6, operatingSystem: 'macOS', ownerType: 'company', enrollmentType: 'appleBulkWithUser',
    managementAgent: 'mdm', supervised: true, appPlatform: 'macOS', fullInventory: true, hidesIdentifiers: false,
    nameTag: 'MacOS', enrollmentProfileName: 'Contoso ADE Mac', hardware: MACS, osVersions: MACOS_VERSIONS,
    unencryptedRate: 0.04, jailbreakRate: 0,
  },
];

export const CARRIERS = [
  'Vodafone UK',
  'EE',
  'O2 - UK',
  'Three',
  'Telekom.de',
  'Orange F',
  'Movistar',
  'T-Mobile',
  'Verizon',
];

/** Apps are grouped by platform family: the same product has different identifiers per platform. */
export type AppPlatformFamily = 'android' | 'ios' | 'windows' | 'macOS';

export interface AppProduct {
  /** Display name per platform family; mobile platforms report the package / bundle identifier. */
  names: Partial<Record<AppPlatformFamily, string>>;
  publisher: string;
  /** Versions, newest first, with their relative frequency. */
  versions: readonly (readonly [string, number])[];
  sizeInByte: number;
  /** Share of eligible devices that have it. */
  prevalence: number;
  /** Deployed by the organisation, so it is inventoried even where only managed apps are reported. */
  managed: boolean;
  /** Share of personal Android work profiles that also have it inside the work profile (e.g. WhatsApp). */
  workProfileRate?: number;
}

// biome-ignore format: a data table reads better packed
export const APP_PRODUCTS: readonly AppProduct[] = [
  { names: { android: 'com.microsoft.office.outlook', ios: 'com.microsoft.Office.Outlook', macOS: 'Microsoft Outlook' }, publisher: 'Microsoft Corporation', versions: [['4.2447.1', 6], ['4.2442.0', 3]], sizeInByte: 212_000_000, prevalence: 0.93, managed: true },
  { names: { android: 'com.microsoft.teams', ios: 'com.microsoft.skype.teams', windows: 'Microsoft Teams', macOS: 'Microsoft Teams' }, publisher: 'Microsoft Corporation', versions: [['1416/1.0.0.2024', 5], ['1416/1.0.0.2023', 2]], sizeInByte: 305_000_000, prevalence: 0.9, managed: true },
  { names: { android: 'com.azure.authenticator', ios: 'com.microsoft.azureauthenticator' }, publisher: 'Microsoft Corporation', versions: [['6.2411.7305', 1]], sizeInByte: 98_000_000, prevalence: 0.85, managed: true },
  { names: { android: 'com.microsoft.windowsintune.companyportal', ios: 'com.microsoft.CompanyPortal', macOS: 'Company Portal' }, publisher: 'Microsoft Corporation', versions: [['5.0.6431.0', 1]], sizeInByte: 54_000_000, prevalence: 0.97, managed: true },
  { names: { android: 'com.microsoft.emmx', ios: 'com.microsoft.msedge', windows: 'Microsoft Edge', macOS: 'Microsoft Edge' }, publisher: 'Microsoft Corporation', versions: [['131.0.2903.70', 4], ['130.0.2849.80', 2]], sizeInByte: 410_000_000, prevalence: 0.8, managed: true },
  { names: { android: 'com.microsoft.skydrive', ios: 'com.microsoft.skydrive', windows: 'Microsoft OneDrive', macOS: 'OneDrive' }, publisher: 'Microsoft Corporation', versions: [['7.21', 1]], sizeInByte: 180_000_000, prevalence: 0.75, managed: true },
  { names: { windows: 'Microsoft 365 Apps for enterprise - en-us' }, publisher: 'Microsoft Corporation', versions: [['16.0.17928.20216', 3], ['16.0.17830.20210', 1]], sizeInByte: 2_900_000_000, prevalence: 0.95, managed: true },
  { names: { android: 'com.android.chrome', ios: 'com.google.chrome.ios', windows: 'Google Chrome', macOS: 'Google Chrome' }, publisher: 'Google LLC', versions: [['131.0.6778.86', 4], ['130.0.6723.117', 2]], sizeInByte: 380_000_000, prevalence: 0.55, managed: false },
  { names: { android: 'com.Slack', ios: 'com.tinyspeck.chatlyio', windows: 'Slack', macOS: 'Slack' }, publisher: 'Slack Technologies', versions: [['24.11.20.0', 1]], sizeInByte: 150_000_000, prevalence: 0.25, managed: true },
  { names: { android: 'us.zoom.videomeetings', ios: 'us.zoom.videomeetings', windows: 'Zoom Workplace (64-bit)', macOS: 'zoom.us' }, publisher: 'Zoom Video Communications, Inc.', versions: [['6.2.11', 1]], sizeInByte: 260_000_000, prevalence: 0.3, managed: false },
  { names: { android: 'com.salesforce.chatter', ios: 'com.salesforce.chatter' }, publisher: 'Salesforce', versions: [['254.012', 1]], sizeInByte: 120_000_000, prevalence: 0.15, managed: true },
  { names: { windows: '7-Zip 23.01 (x64)' }, publisher: 'Igor Pavlov', versions: [['23.01', 1]], sizeInByte: 5_800_000, prevalence: 0.3, managed: false },
  { names: { windows: 'Notepad++ (64-bit x64)' }, publisher: 'Notepad++ Team', versions: [['8.7.1', 1]], sizeInByte: 14_000_000, prevalence: 0.15, managed: false },
  { names: { windows: 'Microsoft Visual Studio Code', macOS: 'Visual Studio Code' }, publisher: 'Microsoft Corporation', versions: [['1.95.3', 1]], sizeInByte: 390_000_000, prevalence: 0.2, managed: false },
  { names: { windows: 'Adobe Acrobat (64-bit)', macOS: 'Adobe Acrobat Reader' }, publisher: 'Adobe', versions: [['24.004.20220', 1]], sizeInByte: 710_000_000, prevalence: 0.4, managed: false },
  // Consumer messengers: the apps a governance policy typically looks for.
  { names: { android: 'com.whatsapp', ios: 'net.whatsapp.WhatsApp', windows: 'WhatsApp', macOS: 'WhatsApp' }, publisher: 'WhatsApp LLC', versions: [['2.24.24.76', 5], ['2.24.23.78', 2]], sizeInByte: 165_000_000, prevalence: 0.3, managed: false, workProfileRate: 0.08 },
  { names: { android: 'com.whatsapp.w4b', ios: 'net.whatsapp.WhatsAppSMB' }, publisher: 'WhatsApp LLC', versions: [['2.24.24.76', 1]], sizeInByte: 160_000_000, prevalence: 0.04, managed: false },
  { names: { android: 'com.facebook.orca', ios: 'com.facebook.Messenger' }, publisher: 'Meta Platforms, Inc.', versions: [['485.0.0.53.109', 1]], sizeInByte: 240_000_000, prevalence: 0.12, managed: false },
  { names: { android: 'org.telegram.messenger', ios: 'ph.telegra.Telegraph', windows: 'Telegram Desktop', macOS: 'Telegram' }, publisher: 'Telegram FZ-LLC', versions: [['11.5.3', 1]], sizeInByte: 130_000_000, prevalence: 0.08, managed: false },
  { names: { android: 'org.thoughtcrime.securesms', ios: 'org.whispersystems.signal', windows: 'Signal', macOS: 'Signal' }, publisher: 'Signal Messenger, LLC', versions: [['7.26.3', 1]], sizeInByte: 110_000_000, prevalence: 0.07, managed: false },
  { names: { android: 'com.tencent.mm', ios: 'com.tencent.xin' }, publisher: 'Tencent Technology (Shenzhen) Company Limited', versions: [['8.0.54', 1]], sizeInByte: 480_000_000, prevalence: 0.02, managed: false },
  { names: { android: 'com.instagram.android', ios: 'com.burbn.instagram' }, publisher: 'Meta Platforms, Inc.', versions: [['357.0.0.25.101', 1]], sizeInByte: 280_000_000, prevalence: 0.15, managed: false },
  { names: { android: 'com.zhiliaoapp.musically', ios: 'com.zhiliaoapp.musically' }, publisher: 'TikTok Ltd.', versions: [['37.4.4', 1]], sizeInByte: 450_000_000, prevalence: 0.08, managed: false },
  { names: { android: 'com.spotify.music', ios: 'com.spotify.client', windows: 'Spotify', macOS: 'Spotify' }, publisher: 'Spotify AB', versions: [['8.9.96.476', 1]], sizeInByte: 170_000_000, prevalence: 0.2, managed: false },
  { names: { android: 'com.dropbox.android', ios: 'com.getdropbox.Dropbox', windows: 'Dropbox', macOS: 'Dropbox' }, publisher: 'Dropbox, Inc.', versions: [['391.2.2', 1]], sizeInByte: 200_000_000, prevalence: 0.06, managed: false },
];

/** Which app-name family a detected-app platform belongs to. */
export function appFamilyOf(platform: DetectedAppPlatformType): AppPlatformFamily | null {
  switch (platform) {
    case 'androidWorkProfile':
    case 'androidDedicatedAndFullyManaged':
    case 'androidDeviceAdministrator':
      return 'android';
    case 'ios':
      return 'ios';
    case 'windows':
      return 'windows';
    case 'macOS':
      return 'macOS';
    default:
      return null;
  }
}
