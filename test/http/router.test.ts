// The router refuses to build when a route forgets to say who may call it, disagrees with the contract's
// x-warden-roles, is a mutation without an audit action, or when an operation has no route.

import type { AppDeps } from '../../src/app';
import { loadConfig } from '../../src/config';
import { buildDispatch, type RouteTable } from '../../src/http/route';
import { ROUTES } from '../../src/http/routes';

const deps = { config: loadConfig({}) } as AppDeps; // building the router touches only the configuration

function withRoute(patch: RouteTable): RouteTable {
  return { ...ROUTES, ...patch };
}

describe('buildDispatch (the router)', () => {
  it('builds from the complete route table', () => {
    expect(() => buildDispatch(ROUTES, deps)).not.toThrow();
  });

  it('refuses a route without declared roles', () => {
    const table = withRoute({ listTokens: { ...ROUTES.listTokens, roles: undefined as never } });
    expect(() => buildDispatch(table, deps)).toThrow('route listTokens does not declare the roles it admits');
  });

  it('refuses roles that differ from the contract', () => {
    const table = withRoute({ listTokens: { ...ROUTES.listTokens, roles: ['admin', 'security-viewer'] } });
    expect(() => buildDispatch(table, deps)).toThrow(
      /route listTokens admits admin,security-viewer but the contract says admin/,
    );
  });

  it('refuses a mutation without an audit action', () => {
    const table = withRoute({ createToken: { ...ROUTES.createToken, auditAction: undefined } });
    expect(() => buildDispatch(table, deps)).toThrow('route createToken is a mutation and must name its auditAction');
  });

  it('refuses a table that misses an operation', () => {
    const { verifyAuditChain: _omitted, ...table } = ROUTES;
    expect(() => buildDispatch(table, deps)).toThrow('operations without a route: verifyAuditChain');
  });

  it('refuses a route for an operation the contract does not have', () => {
    const table = { ...ROUTES, deleteEverything: ROUTES.getHealth } as RouteTable;
    expect(() => buildDispatch(table, deps)).toThrow('route deleteEverything has no operation in openapi/warden.yaml');
  });
});
