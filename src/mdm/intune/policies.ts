// The policy objects Warden owns in Intune: reading the four collections it compiles to (with assignments),
// and carrying out creates, updates and deletes. Creating is POST, then targetApps for app protection, then
// assign; updating is PATCH of the changed settings (with @odata.type, which Graph needs for a subtype's
// settings) and assign or targetApps when those changed.
import type { Client } from '@microsoft/microsoft-graph-client';
import { MdmError } from '../errors';
import type { NativeChange, NativeChangeResult, NativeObject, NativeState } from '../native';
import { send } from './client';
import type { IntuneCollection } from './native';
import { listPages } from './paging';

export type { NativeChange, NativeChangeResult };

export const COLLECTION_PATHS: Record<IntuneCollection, string> = {
  androidManagedAppProtections: 'deviceAppManagement/androidManagedAppProtections',
  iosManagedAppProtections: 'deviceAppManagement/iosManagedAppProtections',
  deviceConfigurations: 'deviceManagement/deviceConfigurations',
  deviceCompliancePolicies: 'deviceManagement/deviceCompliancePolicies',
};

/** The Graph path of a collection Warden compiles to; anything else is refused before a request is made. */
function pathOf(collection: string): string {
  const path = (COLLECTION_PATHS as Record<string, string>)[collection];
  if (!path) throw new MdmError('invalid', `Intune has no policy collection '${collection}'`);
  return path;
}

interface Context {
  client: Client;
  graphRoot: string;
  origin: string;
  signal?: AbortSignal;
}

/** Graph beta's name for each app protection kind's exemption list. */
const EXEMPTION_LISTS: Partial<Record<IntuneCollection, string>> = {
  androidManagedAppProtections: 'exemptedAppPackages',
  iosManagedAppProtections: 'exemptedAppProtocols',
};

export async function readNativeObjects(
  context: Context,
  options: { exemptions: boolean } = { exemptions: false },
): Promise<NativeState[]> {
  const states: NativeState[] = [];
  for (const [collection, path] of Object.entries(COLLECTION_PATHS) as Array<[IntuneCollection, string]>) {
    const walk = {
      client: context.client,
      origin: context.origin,
      what: `the ${collection} listing`,
      signal: context.signal,
    };
    const url = `${context.graphRoot}/${path}?$expand=assignments&$count=true`;
    for await (const rows of listPages<Record<string, unknown>>(walk, url, true)) {
      for (const row of rows) {
        const { assignments, ...properties } = row;
        states.push({
          id: String(row.id),
          collection,
          odataType: String(row['@odata.type'] ?? ''),
          displayName: String(row.displayName ?? ''),
          description: (row.description as string | null | undefined) ?? null,
          properties,
          assignments: Array.isArray(assignments) ? (assignments as Array<Record<string, unknown>>) : [],
        });
      }
    }
  }
  if (options.exemptions) await readExemptions(context, states);
  return states;
}

/** Adds each app protection's exemption list, read from Graph beta (the only version that has them). */
async function readExemptions(context: Context, states: NativeState[]): Promise<void> {
  const betaRoot = context.graphRoot.replace(/\/v1\.0$/, '/beta');
  for (const [collection, property] of Object.entries(EXEMPTION_LISTS) as Array<[IntuneCollection, string]>) {
    const lists = new Map<string, string[]>();
    const walk = {
      client: context.client,
      origin: context.origin,
      what: `the beta ${collection} listing`,
      signal: context.signal,
    };
    const url = `${betaRoot}/${COLLECTION_PATHS[collection]}?$select=id,${property}&$count=true`;
    for await (const rows of listPages<Record<string, unknown>>(walk, url, true)) {
      for (const row of rows) {
        const pairs = Array.isArray(row[property]) ? (row[property] as Array<{ value?: unknown }>) : [];
        lists.set(
          String(row.id),
          pairs.map((p) => String(p.value ?? '')).filter((v) => v !== ''),
        );
      }
    }
    for (const state of states) if (state.collection === collection) state.exemptions = lists.get(state.id) ?? [];
  }
}

/**
 * Creates an object at most once: when the POST's outcome is unknown (a 5xx or reset after sending), the
 * collection is read for the object's marker (its description) before anything is sent again.
 */
async function createOnce(
  context: Context,
  desired: NativeObject,
  post: () => Promise<{ id: string }>,
): Promise<string> {
  try {
    return (await post()).id;
  } catch (error) {
    if (!(error instanceof MdmError && error.outcomeUnknown)) throw error;
    const walk = {
      client: context.client,
      origin: context.origin,
      what: `the ${desired.collection} listing`,
      signal: context.signal,
    };
    const url = `${context.graphRoot}/${pathOf(desired.collection)}?$select=id,description&$count=true`;
    for await (const rows of listPages<{ id: string; description?: string | null }>(walk, url, true)) {
      const made = rows.find((row) => row.description === desired.description);
      if (made) return made.id;
    }
    return (await post()).id;
  }
}

function createBody(object: NativeObject): Record<string, unknown> {
  return {
    '@odata.type': object.odataType,
    displayName: object.displayName,
    description: object.description,
    ...object.settings,
    ...object.createOnly,
  };
}

export async function applyNativeChange(context: Context, change: NativeChange): Promise<NativeChangeResult> {
  const at = (collection: string, suffix = '') =>
    context.client.api(`${context.graphRoot}/${pathOf(collection)}${suffix}`);
  if (change.action === 'delete') {
    try {
      await send(at(change.collection, `/${change.id}`), 'delete', context.signal);
    } catch (error) {
      // A retried DELETE whose first attempt went through finds nothing to delete: that is done, too.
      if (!(error instanceof MdmError && error.kind === 'not-found')) throw error;
    }
    return { action: 'delete', collection: change.collection, id: change.id };
  }
  const { desired } = change;
  let id: string;
  if (change.action === 'create') {
    id = await createOnce(context, desired, () =>
      send<{ id: string }>(at(desired.collection), 'post', context.signal, createBody(desired)),
    );
  } else {
    id = change.id;
    const patch: Record<string, unknown> = { '@odata.type': desired.odataType };
    for (const setting of change.changed) {
      if (setting === 'displayName') patch.displayName = desired.displayName;
      else if (setting in desired.settings) patch[setting] = desired.settings[setting];
    }
    if (Object.keys(patch).length > 1) await send(at(desired.collection, `/${id}`), 'patch', context.signal, patch);
  }
  const all = change.action === 'create';
  if (desired.targetApps && (all || change.changed.includes('targetApps'))) {
    await send(at(desired.collection, `/${id}/targetApps`), 'post', context.signal, {
      apps: [],
      appGroupType: desired.targetApps.appGroupType,
    });
  }
  if (all || change.changed.includes('assignments')) {
    await send(at(desired.collection, `/${id}/assign`), 'post', context.signal, { assignments: desired.assignments });
  }
  return { action: change.action, collection: desired.collection, id };
}
