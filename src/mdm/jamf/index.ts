// Public surface of the Jamf Pro connector: the connector, its settings and credentials, and the restrictions
// profile types the policy compiler will produce.
export { JamfConnector, type JamfConnectorOptions } from './connector';
export { parseExternalId } from './mapping';
export type { RestrictionProfile, RestrictionProfileChange, RestrictionSettings } from './restrictions';
export { DEFAULT_TOKEN_PATH, type JamfCredentials, type JamfSettings, MAX_CONCURRENT_REQUESTS } from './settings';
