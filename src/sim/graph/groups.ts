/**
 * The directory's groups, as far as Intune assignments need them: a few seeded security groups per tenant
 * (the same ids for the same seed), more added by tests, GET /groups (paged by 100, at most 999; $filter on
 * displayName, mailNickname and id; $count only with ConsistencyLevel: eventual) and GET /groups/{id}.
 * Display names are not unique in a real directory, so neither are they here.
 */
import { cachedCount, type GraphEnvironment, metadata, selectSuffix } from './context';
import { type FilterCapabilities, matchesFilter } from './filter';
import { graphError, type SimRequest, type SimResponse } from './http';
import { listCollection } from './listing';
import { ODataError, parseSelect, project, queryOption } from './odata';
import { hashString, IndexedGuids, randomGuid } from './random';

export interface DirectoryGroup {
  id: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  createdDateTime: string;
}

const GROUP_TYPE = 'microsoft.graph.group';
const GROUP_PROPERTIES = [
  'id',
  'displayName',
  'description',
  'mailNickname',
  'mailEnabled',
  'securityEnabled',
  'groupTypes',
  'createdDateTime',
] as const satisfies readonly (keyof DirectoryGroup)[];

/** The security groups every emulated tenant starts with. */
export const SEEDED_GROUPS = ['All Employees', 'Sales', 'Engineering', 'Finance', 'Support', 'Contractors'];

const GROUP_FILTER: FilterCapabilities = {
  entityType: GROUP_TYPE,
  allProperties: GROUP_PROPERTIES,
  allowAnd: true,
  properties: {
    id: { type: 'string', operators: ['eq'] },
    displayName: { type: 'string', operators: ['eq', 'startswith'] },
    mailNickname: { type: 'string', operators: ['eq', 'startswith'] },
    securityEnabled: { type: 'boolean', operators: ['eq', 'ne'] },
  },
};

/** The tenant's groups: seeded from the fleet's seed, plus those added at run time. */
export class GroupDirectory {
  private readonly groups: DirectoryGroup[] = [];

  constructor(seed: number, createdDateTime: string) {
    const guids = new IndexedGuids(hashString(`groups:${seed}`));
    SEEDED_GROUPS.forEach((displayName, index) => {
      this.groups.push(securityGroup(guids.guidOf(index), displayName, createdDateTime));
    });
  }

  /** Adds a security group (tests: a new team, or a second group with an existing name). */
  add(displayName: string, now = new Date().toISOString()): DirectoryGroup {
    const group = securityGroup(randomGuid(), displayName, now);
    this.groups.push(group);
    return group;
  }

  get(id: string): DirectoryGroup | undefined {
    const wanted = id.toLowerCase();
    return this.groups.find((g) => g.id === wanted);
  }

  byName(displayName: string): DirectoryGroup[] {
    return this.groups.filter((g) => g.displayName === displayName);
  }

  *after(cursor: number): Generator<[number, DirectoryGroup]> {
    for (let index = Math.max(0, cursor + 1); index < this.groups.length; index++) yield [index, this.groups[index]!];
  }
}

function securityGroup(id: string, displayName: string, createdDateTime: string): DirectoryGroup {
  return {
    id,
    displayName,
    description: null,
    mailNickname: displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
    createdDateTime,
  };
}

const shapeGroup = (group: DirectoryGroup, select: readonly string[] | null) =>
  project(group, select ?? GROUP_PROPERTIES);

export function listGroups(env: GraphEnvironment, request: SimRequest): SimResponse {
  const groups = env.tenant.groups;
  return listCollection(request, {
    resource: 'groups',
    entityType: GROUP_TYPE,
    url: `${env.origin()}/v1.0/groups`,
    contextUrl: (select) => metadata(env, `groups${selectSuffix(select)}`),
    filter: GROUP_FILTER,
    selectable: GROUP_PROPERTIES,
    defaultPageSize: 100,
    maxPageSize: 999,
    rejectTopAboveMax: true,
    itemsAfter: (cursor) => groups.after(cursor),
    shape: shapeGroup,
    count: (filter, text) =>
      cachedCount(env, `groups|${text}`, () => {
        let total = 0;
        for (const [, group] of groups.after(-1)) if (!filter || matchesFilter(filter, group)) total++;
        return total;
      }),
    countNeedsConsistencyLevel: true,
    errorCode: 'Request_BadRequest',
  });
}

export function getGroup(env: GraphEnvironment, request: SimRequest, id: string): SimResponse {
  const group = env.tenant.groups.get(id);
  if (!group) {
    return graphError(
      request,
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  let select: string[] | null;
  try {
    select = parseSelect(queryOption(request.query, 'select'), GROUP_PROPERTIES, GROUP_TYPE);
  } catch (error) {
    if (error instanceof ODataError) return graphError(request, 400, 'Request_BadRequest', error.message);
    throw error;
  }
  return {
    status: 200,
    body: { '@odata.context': metadata(env, `groups${selectSuffix(select)}/$entity`), ...shapeGroup(group, select) },
  };
}
