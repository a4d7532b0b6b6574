// Shared by the Android connector tests: a connector pointed at an emulator (root URL, token URI, CA), fast
// retry settings so injected faults cost milliseconds, generous pacing, and a collector.
import { AndroidConnector, type AndroidConnectorOptions } from '../../../src/mdm/android/connector';
import type { AndroidCredentials, ServiceAccountKeyJson } from '../../../src/mdm/android/settings';
import type { AndroidEmulator } from '../../../src/sim/android';

export { RawClient, REFERENCE_TIME, startEmulator } from '../../sim/android/helpers';

export const FAST_RETRY = { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 20_000 };

export function credentialsOf(emulator: AndroidEmulator): AndroidCredentials {
  return { type: 'service-account', key: emulator.serviceAccountKey as unknown as ServiceAccountKeyJson };
}

export function androidConnector(
  emulator: AndroidEmulator,
  credentials: AndroidCredentials = credentialsOf(emulator),
  options: AndroidConnectorOptions = {},
): AndroidConnector {
  return new AndroidConnector(
    { enterpriseName: emulator.enterpriseName, rootUrl: emulator.url, tokenUri: emulator.tokenUri },
    credentials,
    { caPem: emulator.caPem, retry: FAST_RETRY, ...options },
  );
}

export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

export async function failureOf(work: Promise<unknown> | AsyncIterable<unknown>): Promise<unknown> {
  try {
    if (Symbol.asyncIterator in (work as object)) {
      for await (const _ of work as AsyncIterable<unknown>) {
        // drain
      }
    } else await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
