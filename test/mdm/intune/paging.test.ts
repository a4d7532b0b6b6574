// Pagination guards: a nextLink to another host, or back to a page already read, is MdmError('invalid') and
// not a loop; a listing that disagrees with its count is MdmError('incomplete'). The misbehaving Graph is a
// small HTTPS server on the test PKI; the token still comes from the emulated Entra ID.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { MdmError } from '../../../src/mdm';
import { checkComplete, checkNextLink } from '../../../src/mdm/intune/paging';
import type { GraphEmulator } from '../../../src/sim/graph';
import { ensureTestPki } from '../../../src/sim/tls';
import { collectFailure, intuneConnector, startEmulator } from './helpers';

const PKI_DIR = path.resolve(__dirname, '../../../.warden/pki');

describe('checkNextLink', () => {
  const origin = 'https://graph.microsoft.com';
  const current = 'https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$top=1000';

  it('accepts an absolute link on the Graph origin', () => {
    const next = `${origin}/v1.0/deviceManagement/managedDevices?$skiptoken=abc`;
    expect(checkNextLink(next, origin, new Set([current]), 'x')).toBe(next);
  });

  it.each([
    ['another host', 'https://graph.evil.example/v1.0/deviceManagement/managedDevices?$skiptoken=abc'],
    ['another port', 'https://graph.microsoft.com:8443/v1.0/deviceManagement/managedDevices'],
    ['plain http', 'http://graph.microsoft.com/v1.0/deviceManagement/managedDevices'],
    ['a relative link', '/v1.0/deviceManagement/managedDevices?$skiptoken=abc'],
    ['the current page', current],
  ])('refuses %s as MdmError invalid', (_label, next) => {
    expect(() => checkNextLink(next, origin, new Set([current]), 'x')).toThrow(
      expect.objectContaining({ kind: 'invalid' }),
    );
  });
});

describe('checkComplete', () => {
  it('passes an exact count and refuses fewer or more rows, or none announced when one is required', () => {
    expect(() => checkComplete('x', 5, { count: 5, required: true })).not.toThrow();
    expect(() => checkComplete('x', 5, { count: null, required: false })).not.toThrow();
    for (const [received, count, required] of [
      [4, 5, true],
      [6, 5, false],
      [5, null, true],
    ] as const) {
      expect(() => checkComplete('x', received, { count, required })).toThrow(
        expect.objectContaining({ kind: 'incomplete' }),
      );
    }
  });
});

describe('listDevices against a misbehaving Graph', () => {
  let emulator: GraphEmulator;
  let server: Server;
  let origin = '';
  let nextLink: (self: string) => string | undefined = () => undefined;
  let requests = 0;

  beforeAll(async () => {
    emulator = await startEmulator({ devices: 10 });
    const pki = ensureTestPki(PKI_DIR);
    server = createServer({ key: pki.keyPem, cert: pki.certPem }, (request, response) => {
      requests++;
      const self = `${origin}${request.url}`;
      const body: Record<string, unknown> = { '@odata.count': 3, value: [{ id: `device-${requests}` }] };
      const link = nextLink(self);
      if (link) body['@odata.nextLink'] = link;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await emulator.stop();
  });
  beforeEach(() => {
    requests = 0;
  });

  /** Tokens from the emulated Entra ID, Graph from the server above. */
  const connector = () => intuneConnector({ ...emulator, url: origin });

  it('refuses a nextLink equal to the current URL instead of looping', async () => {
    nextLink = (self) => self;
    const { error } = await collectFailure(connector().listDevices());
    expect(error).toBeInstanceOf(MdmError);
    expect(error).toMatchObject({ kind: 'invalid' });
    expect(requests).toBe(1);
  });

  it('refuses a nextLink that returns to an earlier page', async () => {
    // first -> page 1 -> page 2 -> page 1 again
    nextLink = (self) => `${origin}/v1.0/deviceManagement/managedDevices?page=${self.includes('page=1') ? 2 : 1}`;
    const { error } = await collectFailure(connector().listDevices());
    expect(error).toMatchObject({ kind: 'invalid' });
    expect(requests).toBe(3);
  });

  it('refuses a nextLink to another host, without sending anything there', async () => {
    nextLink = () => 'https://graph.evil.example/v1.0/deviceManagement/managedDevices?$skiptoken=x';
    const { error } = await collectFailure(connector().listDevices());
    expect(error).toMatchObject({ kind: 'invalid' });
    expect((error as MdmError).message).toMatch(/graph\.evil\.example/);
    expect(requests).toBe(1);
  });

  it('throws incomplete when the pages add up to more rows than announced', async () => {
    let page = 0;
    nextLink = () => (++page < 4 ? `${origin}/v1.0/deviceManagement/managedDevices?page=${page}` : undefined);
    const { items, error } = await collectFailure(connector().listDevices());
    expect(items).toHaveLength(4);
    expect(error).toMatchObject({ kind: 'incomplete' });
    expect((error as MdmError).message).toMatch(/more rows than announced: received 4 of 3/);
  });
});
