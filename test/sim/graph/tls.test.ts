import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Agent, fetch } from 'undici';
import { createCertificateAuthority, ensureTestPki, issueCertificate, type TestPki } from '../../../src/sim/tls';
import { startEmulator } from './helpers';

const run = promisify(execFile);

describe('test PKI (src/sim/tls)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'warden-pki-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a CA and a server certificate for 127.0.0.1, localhost and ::1, and reuses them', () => {
    const first = ensureTestPki(dir);
    expect(first.caPath).toBe(path.join(dir, 'ca.pem'));
    expect(readFileSync(first.caPath, 'utf8')).toBe(first.caPem);
    const ca = new X509Certificate(first.caPem);
    const server = new X509Certificate(first.certPem);
    expect(ca.ca).toBe(true);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(ensureTestPki(dir)).toEqual(first);
  });

  it('renews an expiring server certificate but keeps the CA clients already trust', () => {
    const first = ensureTestPki(dir);
    const caKeyPem = readFileSync(path.join(dir, 'ca-key.pem'), 'utf8');
    const expiring = issueCertificate(
      { certPem: first.caPem, keyPem: caKeyPem },
      { commonName: 'localhost', hosts: ['localhost', '127.0.0.1', '::1'], usage: 'server', validityDays: 1 },
    );
    writeFileSync(path.join(dir, 'server.pem'), expiring.certPem);
    writeFileSync(path.join(dir, 'server-key.pem'), expiring.keyPem);
    const renewed = ensureTestPki(dir);
    expect(renewed.caPem).toBe(first.caPem);
    expect(renewed.certPem).not.toBe(expiring.certPem);
    expect(new X509Certificate(renewed.certPem).checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('replaces a CA that no longer matches its key, or is corrupt', () => {
    const first = ensureTestPki(dir);
    writeFileSync(path.join(dir, 'ca.pem'), createCertificateAuthority('someone else').certPem);
    const replaced = ensureTestPki(dir);
    expect(replaced.caPem).not.toBe(first.caPem);
    writeFileSync(path.join(dir, 'ca.pem'), 'garbage');
    expect(ensureTestPki(dir).caPem).not.toBe(replaced.caPem);
  });

  it('gives concurrent callers one and the same CA', async () => {
    const swc = require.resolve('@swc/core');
    const tls = path.resolve(__dirname, '../../../src/sim/tls.ts');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const swc = require(${JSON.stringify(swc)});
      require.extensions['.ts'] = (module, filename) => {
        const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { filename, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } });
        module._compile(code, filename);
      };
      parentPort.postMessage(require(${JSON.stringify(tls)}).ensureTestPki(workerData).caPem);
    `;
    const results = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(code, { eval: true, workerData: dir });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    expect(new Set(results).size).toBe(1);
    expect(ensureTestPki(dir).caPem).toBe(results[0]);
  });

  it('serves HTTPS that a client trusting only the CA accepts for 127.0.0.1 and localhost', async () => {
    const pki: TestPki = ensureTestPki(dir);
    const server = createServer({ key: pki.keyPem, cert: pki.certPem }, (_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ connect: { ca: pki.caPem } });
    for (const host of ['127.0.0.1', 'localhost']) {
      const response = await fetch(`https://${host}:${port}/`, { dispatcher: agent });
      expect(await response.text()).toBe('ok');
    }
    await expect(fetch(`https://127.0.0.1:${port}/`)).rejects.toThrow();
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('trusting the emulator from another process with NODE_EXTRA_CA_CERTS', () => {
  it('lets plain fetch in a child process reach the emulator through caPath', async () => {
    const emulator = await startEmulator({ devices: 5 });
    const script = `fetch(process.argv[1]).then(r => console.log(r.status), e => console.log('failed', e.cause?.code ?? e.message))`;
    const url = `${emulator.url}/v1.0/users`;
    const trusted = await run(process.execPath, ['-e', script, url], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caPath },
    });
    expect(trusted.stdout.trim()).toBe('401');
    const untrusted = await run(process.execPath, ['-e', script, url], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
    });
    expect(untrusted.stdout.trim()).toMatch(/^failed/);
    await emulator.stop();
  });
});
