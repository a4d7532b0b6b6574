// The Classic API's mobile device configuration profile document (`/JSSResource/mobiledeviceconfigurationprofiles`)
// in and out of XML: `<configuration_profile><general>` (id, name, description, and `payloads`, the profile's
// plist as escaped text) and `<scope>` (all devices, devices, device groups). Only the fields Warden reads or
// writes; Jamf keeps the others when a PUT leaves them out. Shared by the connector and the emulator.
import { XMLParser } from 'fast-xml-parser';
import { escapeXml } from './plist';

export interface ProfileScope {
  allMobileDevices: boolean;
  mobileDeviceIds: string[];
  mobileDeviceGroups: Array<{ id: string; name: string | null }>;
}

export interface ClassicProfile {
  /** Jamf's id; absent (or 0) for a profile being created. */
  id?: string;
  name: string;
  description: string;
  /** The profile's plist, as text. */
  payloads: string;
  scope: ProfileScope;
}

export class ClassicXmlError extends Error {}

const LIST_TAGS = new Set(['configuration_profile', 'mobile_device', 'mobile_device_group']);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name, jpath) => LIST_TAGS.has(name) && String(jpath).split('.').length > 2,
});

type Node = Record<string, unknown>;

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function node(value: unknown): Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : {};
}

function list(value: unknown, tag: string): Node[] {
  const items = node(value)[tag];
  return Array.isArray(items) ? items.map(node) : items === undefined ? [] : [node(items)];
}

function parse(xml: string): Node {
  try {
    return node(parser.parse(xml));
  } catch (error) {
    throw new ClassicXmlError(`not well-formed XML: ${(error as Error).message}`);
  }
}

export function profileFromXml(xml: string): ClassicProfile {
  const root = node(parse(xml).configuration_profile);
  const general = node(root.general);
  const scope = node(root.scope);
  if (!('general' in root)) throw new ClassicXmlError('no <configuration_profile><general> element');
  const id = text(general.id);
  return {
    ...(id !== '' && id !== '0' ? { id } : {}),
    name: text(general.name),
    description: text(general.description),
    payloads: text(general.payloads),
    scope: {
      allMobileDevices: text(scope.all_mobile_devices) === 'true',
      mobileDeviceIds: list(scope.mobile_devices, 'mobile_device').map((d) => text(d.id)),
      mobileDeviceGroups: list(scope.mobile_device_groups, 'mobile_device_group').map((g) => ({
        id: text(g.id),
        name: text(g.name) || null,
      })),
    },
  };
}

export function profileToXml(profile: ClassicProfile): string {
  const devices = profile.scope.mobileDeviceIds.map((id) => `<mobile_device><id>${escapeXml(id)}</id></mobile_device>`);
  const groups = profile.scope.mobileDeviceGroups.map(
    (g) =>
      `<mobile_device_group><id>${escapeXml(g.id)}</id>${g.name ? `<name>${escapeXml(g.name)}</name>` : ''}</mobile_device_group>`,
  );
  return [
    '<configuration_profile><general>',
    profile.id ? `<id>${escapeXml(profile.id)}</id>` : '',
    `<name>${escapeXml(profile.name)}</name>`,
    `<description>${escapeXml(profile.description)}</description>`,
    '<deployment_method>Install Automatically</deployment_method>',
    `<payloads>${escapeXml(profile.payloads)}</payloads>`,
    '</general><scope>',
    `<all_mobile_devices>${profile.scope.allMobileDevices}</all_mobile_devices>`,
    `<mobile_devices>${devices.join('')}</mobile_devices>`,
    `<mobile_device_groups>${groups.join('')}</mobile_device_groups>`,
    '</scope></configuration_profile>',
  ].join('');
}

/** `GET /JSSResource/mobiledeviceconfigurationprofiles`: ids and names. */
export function profileListFromXml(xml: string): Array<{ id: string; name: string }> {
  const root = parse(xml).configuration_profiles;
  if (root === undefined) throw new ClassicXmlError('no <configuration_profiles> element');
  return list(root, 'configuration_profile').map((p) => ({ id: text(p.id), name: text(p.name) }));
}

export function profileListToXml(profiles: ReadonlyArray<{ id: string; name: string }>): string {
  const items = profiles.map(
    (p) => `<configuration_profile><id>${p.id}</id><name>${escapeXml(p.name)}</name></configuration_profile>`,
  );
  return `<configuration_profiles><size>${profiles.length}</size>${items.join('')}</configuration_profiles>`;
}

/** The id in Jamf's answer to a POST or PUT: `<configuration_profile><id>7</id></configuration_profile>`. */
export function idFromXml(xml: string): string {
  const id = text(node(parse(xml).configuration_profile).id);
  if (!/^\d+$/.test(id)) throw new ClassicXmlError('the answer carries no profile id');
  return id;
}
