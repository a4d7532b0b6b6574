// What every emulator's HTTPS server does the same way: listen on loopback, break a connection abortively (the
// reset fault), stop without waiting for idle keep-alive connections, and pick a default reference time for its seeded fleet.
import type { Server } from 'node:https';
import type { Socket } from 'node:net';

/** An abortive close (TCP RST where the platform allows), so the client sees ECONNRESET mid-request. */
export function resetConnection(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // A TLS socket may refuse; a plain destroy still breaks the exchange.
    }
  }
  socket.destroy();
}

/** Listens on loopback (port 0: any free one) and answers the server's https origin. */
export async function listenOnLoopback(server: Server, port = 0, what = 'the emulator'): Promise<string> {
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} did not bind a TCP port`);
  return `https://127.0.0.1:${address.port}`;
}

export async function stopServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The start of the current UTC hour: a fleet seeded within one hour comes out the same. */
export function startOfCurrentUtcHour(now = new Date()): Date {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}
