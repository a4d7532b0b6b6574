// The contract itself: the generated TypeScript types are current, every schema compiles under strict
// JSON Schema 2020-12, and every operation says which roles it admits.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createSpecAjv, loadSpec, SCHEMAS_ID } from '../../src/http/spec';

const root = path.resolve(__dirname, '../..');

describe('openapi/warden.yaml', () => {
  it('matches the committed generated types (run `npm run gen` after changing the contract)', () => {
    const cli = path.join(root, 'node_modules/openapi-typescript/bin/cli.js');
    const check = spawnSync(process.execPath, [cli, 'openapi/warden.yaml', '-o', 'src/http/api-types.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(check.stderr + check.stdout).not.toMatch(/out of date|error/i);
    expect(check.status).toBe(0);
  });

  it('has schemas that all compile under strict JSON Schema 2020-12', () => {
    const ajv = createSpecAjv();
    const spec = loadSpec();
    const components = Object.keys((spec.document.components as { schemas: object }).schemas);
    for (const name of components) expect(() => ajv.compile({ $ref: `${SCHEMAS_ID}#/$defs/${name}` })).not.toThrow();
    for (const operation of spec.operations.values()) {
      for (const schema of [operation.requestBody?.schema, ...operation.parameters.map((p) => p.schema)]) {
        if (schema) expect(() => ajv.compile(schema)).not.toThrow();
      }
      for (const byType of Object.values(operation.responses)) {
        for (const schema of Object.values(byType)) expect(() => ajv.compile(schema)).not.toThrow();
      }
    }
  });

  it('declares the roles of every operation, and only /v1 operations need a token', () => {
    for (const operation of loadSpec().operations.values()) {
      expect(operation.roles === 'public').toBe(!operation.path.startsWith('/v1/'));
    }
  });
});
