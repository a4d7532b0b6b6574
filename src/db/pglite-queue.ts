// A fix for pglite-socket 0.2.17's query queue (electric-sql/pglite#1046, still open): the socket server
// multiplexes every connection onto PGlite's one session message by message, keeping a connection's messages
// together only inside a SQL transaction. An extended-protocol exchange (Parse, Bind, Describe, Execute, then
// Sync) is not a transaction, so two connections' exchanges interleave and one binds to the other's statement
// ("bind message supplies 6 parameters, but prepared statement requires 11"), or silently reads wrong rows.
// And one failed message left the queue marked busy forever. This replaces the queue's scheduler: a connection
// keeps the session from its first extended-protocol message until its Sync, as well as through a transaction,
// and a failure releases the queue.
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

/** The parts of pglite-socket's (unexported) QueryQueueManager this relies on. */
interface QueryQueue {
  db: PGlite;
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Frontend messages that open or continue an extended-protocol exchange; Sync ('S') ends it. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

export function keepExchangesTogether(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!queue || typeof queue.processQueue !== 'function' || !Array.isArray(queue.queue)) {
    throw new Error(
      'pglite-socket changed: its query queue is not where Warden expects it (see src/db/pglite-queue.ts)',
    );
  }
  /** The connection in the middle of an extended-protocol exchange, which no other may interrupt. */
  let midExchange: number | null = null;

  queue.processQueue = async function processQueue(this: QueryQueue): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = midExchange ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        if (index === -1) return; // the owner's next message has not arrived yet; its enqueue resumes us
        const [item] = this.queue.splice(index, 1) as [QueuedMessage];
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          midExchange = null;
          item.reject(error);
          continue;
        }
        midExchange = EXTENDED.has(item.message[0] ?? 0) ? item.handlerId : null;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  // A connection that goes away mid-exchange must not hold the session for ever.
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (midExchange === handlerId) {
      midExchange = null;
      void queue.processQueue();
    }
  };
}
