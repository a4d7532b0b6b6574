/**
 * The directory behind the fleet: GET /users (paged by 100, at most 999; Graph's default property set
 * unless $select; the everyday $filters; $count only with ConsistencyLevel: eventual) and
 * GET /users/{id or userPrincipalName}. Deleted users answer 404 and leave the list.
 */
import { cachedCount, type GraphEnvironment, metadata, selectSuffix } from './context';
import { type FilterCapabilities, matchesFilter } from './filter';
import { graphError, type SimRequest, type SimResponse } from './http';
import { listCollection } from './listing';
import { ODataError, parseSelect, project, queryOption } from './odata';
import { type DirectoryUser, USER_DEFAULT_PROPERTIES, USER_PROPERTIES } from './types';

const USER_TYPE = 'microsoft.graph.user';

/** The directory's everyday filters; the emulator models a subset of user properties. */
const USER_FILTER: FilterCapabilities = {
  entityType: USER_TYPE,
  allProperties: USER_PROPERTIES,
  allowAnd: true,
  properties: {
    id: { type: 'string', operators: ['eq'] },
    accountEnabled: { type: 'boolean', operators: ['eq', 'ne'] },
    userPrincipalName: { type: 'string', operators: ['eq', 'startswith'] },
    mail: { type: 'string', operators: ['eq', 'startswith'] },
    displayName: { type: 'string', operators: ['eq', 'startswith'] },
    givenName: { type: 'string', operators: ['eq', 'startswith'] },
    surname: { type: 'string', operators: ['eq', 'startswith'] },
    department: { type: 'string', operators: ['eq'] },
    jobTitle: { type: 'string', operators: ['eq', 'startswith'] },
  },
};

const shapeUser = (user: DirectoryUser, select: readonly string[] | null) =>
  project(user, select ?? USER_DEFAULT_PROPERTIES);

export function listUsers(env: GraphEnvironment, request: SimRequest): SimResponse {
  const tenant = env.tenant;
  function* usersAfter(cursor: number): Generator<[number, DirectoryUser]> {
    for (let index = Math.max(0, cursor + 1); index < tenant.userCount; index++) {
      const user = tenant.userAt(index);
      if (user) yield [index, user];
    }
  }
  return listCollection(request, {
    resource: 'users',
    entityType: USER_TYPE,
    url: `${env.origin()}/v1.0/users`,
    contextUrl: (select) => metadata(env, `users${selectSuffix(select)}`),
    filter: USER_FILTER,
    selectable: USER_PROPERTIES,
    // The directory's paging: 100 by default, at most 999 per page.
    defaultPageSize: 100,
    maxPageSize: 999,
    rejectTopAboveMax: true,
    itemsAfter: usersAfter,
    shape: shapeUser,
    count: (filter, text) =>
      cachedCount(env, `users|${text}`, () => {
        let total = 0;
        for (const [, user] of usersAfter(-1)) if (!filter || matchesFilter(filter, user)) total++;
        return total;
      }),
    countNeedsConsistencyLevel: true,
    errorCode: 'Request_BadRequest',
  });
}

export function getUser(env: GraphEnvironment, request: SimRequest, id: string): SimResponse {
  const user = env.tenant.getUser(id) ?? findUserByPrincipalName(env, id);
  if (!user) return userNotFound(request, id);
  let select: string[] | null;
  try {
    select = parseSelect(queryOption(request.query, 'select'), USER_PROPERTIES, USER_TYPE);
  } catch (error) {
    if (error instanceof ODataError) return graphError(request, 400, 'Request_BadRequest', error.message);
    throw error;
  }
  return {
    status: 200,
    body: { '@odata.context': metadata(env, `users${selectSuffix(select)}/$entity`), ...shapeUser(user, select) },
  };
}

/** GET /users/{userPrincipalName} works on Graph too. */
function findUserByPrincipalName(env: GraphEnvironment, upn: string): DirectoryUser | undefined {
  if (!upn.includes('@')) return undefined;
  const wanted = upn.toLowerCase();
  for (const user of env.tenant.users()) if (user.userPrincipalName.toLowerCase() === wanted) return user;
  return undefined;
}

export function userNotFound(request: SimRequest, id: string): SimResponse {
  return graphError(
    request,
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}
