// Shared by the Intune connector tests: a connector pointed at an emulator (its authority, Graph host and CA),
// fast retry settings so injected faults cost milliseconds, and small collectors.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { type ConnectorOptions, createConnector, type IntuneCredentials, type MdmConnector } from '../../../src/mdm';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, type GraphEmulator } from '../../../src/sim/graph';

export { REFERENCE_TIME, startEmulator } from '../../sim/graph/helpers';

/** Backoff in tens of milliseconds: the fault tests stay quick and still exercise every path. */
export const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200, budgetMs: 20_000 };

export const SECRET: IntuneCredentials = { type: 'client-secret', clientSecret: DEFAULT_CLIENT_SECRET };

export function intuneConnector(
  emulator: GraphEmulator,
  credentials: IntuneCredentials = SECRET,
  options: ConnectorOptions & { clientId?: string } = {},
): MdmConnector {
  const { clientId = DEFAULT_CLIENT_ID, ...connectorOptions } = options;
  return createConnector(
    {
      kind: 'intune',
      settings: {
        tenantId: emulator.tenantId,
        clientId,
        authorityHost: emulator.authorityHost,
        graphBaseUrl: emulator.url,
      },
      credentials,
    },
    { caPem: emulator.caPem, retry: FAST_RETRY, ...connectorOptions },
  );
}

export async function collect<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    items.push(...page);
    count++;
  }
  return { items, pages: count };
}

/** What a failing iteration threw, and what it yielded before. */
export async function collectFailure<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const page of pages) items.push(...page);
  } catch (error) {
    return { items, error };
  }
  throw new Error('the iteration was expected to fail');
}

/** A pino logger writing every line (trace and up) into an array. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'trace' }, stream), lines };
}
