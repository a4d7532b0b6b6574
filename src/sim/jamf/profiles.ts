/**
 * Classic API mobile device configuration profiles on the emulated server:
 * `GET /JSSResource/mobiledeviceconfigurationprofiles`, and `GET|POST|PUT|DELETE .../id/{id}` (a create is a
 * POST to id/0). XML in and out; the payload plist must parse; names are unique (409, as Jamf answers).
 */
import {
  type ClassicProfile,
  ClassicXmlError,
  profileFromXml,
  profileListToXml,
  profileToXml,
} from '../../mdm/jamf/classic-profile';
import { decodePlist, PlistError } from '../../mdm/jamf/plist';
import { classicError, type JamfRequest, type JamfResponse, xml } from './http';

export const PROFILES_PATH = '/JSSResource/mobiledeviceconfigurationprofiles';

export class ProfileStore {
  private readonly profiles = new Map<string, ClassicProfile & { id: string }>();
  private nextId = 1;

  all(): Array<ClassicProfile & { id: string }> {
    return [...this.profiles.values()].map((p) => structuredClone(p));
  }

  handle(request: JamfRequest): JamfResponse {
    if (request.path === PROFILES_PATH || request.path === `${PROFILES_PATH}/`) {
      if (request.method !== 'GET') return classicError(405, 'Method Not Allowed');
      return xml(200, profileListToXml([...this.profiles.values()]));
    }
    const match = /^\/JSSResource\/mobiledeviceconfigurationprofiles\/id\/(\d+)$/.exec(request.path);
    if (!match) return classicError(404, 'The server has not found anything matching the request URI');
    const id = match[1]!;
    switch (request.method) {
      case 'GET': {
        const profile = this.profiles.get(id);
        return profile
          ? xml(200, profileToXml(profile))
          : classicError(404, 'The server has not found anything matching the request URI');
      }
      case 'POST':
        return this.save(request, null);
      case 'PUT':
        return this.profiles.has(id)
          ? this.save(request, id)
          : classicError(404, 'The server has not found anything matching the request URI');
      case 'DELETE':
        if (!this.profiles.delete(id))
          return classicError(404, 'The server has not found anything matching the request URI');
        return xml(200, `<configuration_profile><id>${id}</id></configuration_profile>`);
      default:
        return classicError(405, 'Method Not Allowed');
    }
  }

  /** A create (id null: Jamf ignores the id in the URL of a POST and assigns one) or a replace. */
  private save(request: JamfRequest, id: string | null): JamfResponse {
    let profile: ClassicProfile;
    try {
      profile = profileFromXml(request.body);
      if (profile.payloads !== '') decodePlist(profile.payloads);
    } catch (error) {
      if (error instanceof ClassicXmlError || error instanceof PlistError) {
        return classicError(400, `Problem with payload: ${error.message}`);
      }
      throw error;
    }
    const existing = id === null ? null : this.profiles.get(id)!;
    const name = profile.name || existing?.name || '';
    if (name === '') return classicError(409, 'Error: Name is required');
    const clash = [...this.profiles.values()].find((p) => p.name === name && p.id !== id);
    if (clash) return classicError(409, 'Error: Duplicate name');
    const savedId = id ?? String(this.nextId++);
    this.profiles.set(savedId, { ...profile, name, id: savedId });
    return xml(201, `<configuration_profile><id>${savedId}</id></configuration_profile>`);
  }
}
