// What a tenant holds after a policy was applied, for the planner's and drift's pure tests.
import type { NativeObject } from '../../src/policies/compile/intune';
import type { NativeState } from '../../src/policies/plan';

/** What the tenant would hold after applying `object`: Graph's own fields added, lists in another order. */
export function held(object: NativeObject, index: number): NativeState {
  const properties: Record<string, unknown> = {
    id: `id-${index}`,
    '@odata.type': object.odataType,
    createdDateTime: '2026-11-01T00:00:00Z',
    lastModifiedDateTime: '2026-11-20T00:00:00Z',
    version: index + 3,
    displayName: object.displayName,
    description: object.description,
    pinRequired: true, // a setting Warden does not own
    ...object.settings,
  };
  if (Array.isArray(properties.compliantAppsList))
    properties.compliantAppsList = [...(properties.compliantAppsList as unknown[])].reverse();
  return {
    id: `id-${index}`,
    collection: object.collection,
    odataType: object.odataType,
    displayName: object.displayName,
    description: object.description,
    properties,
    assignments: object.assignments.map((a, i) => ({ id: `assignment-${index}-${i}`, ...a })),
    targetApps: object.targetApps,
  };
}
