import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ipKeyGenerator } from 'express-rate-limit';
import { writeRawProblem } from '@finance/shared/http';

export interface ConnectionLimitOptions {
  /** Open connections one client address may hold; 0 = no cap. */
  maxPerClient: number;
  /** Headers the refusal carries (the gateway's security headers). */
  headers: Record<string, string>;
}

/**
 * Caps the connections one client address holds open (IPv6 per /56, as the rate limits count),
 * so one client cannot exhaust the gateway's sockets with connections that send nothing or
 * trickle their headers. A connection over the cap is answered at once with a 429
 * problem+json and closed, before any request is read. Behind a proxy the address is the
 * proxy's: size the cap for it (README).
 */
export function limitConnectionsPerClient(server: Server, options: ConnectionLimitOptions): void {
  if (options.maxPerClient <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = ipKeyGenerator(socket.remoteAddress ?? 'unknown');
    const count = open.get(client) ?? 0;
    if (count >= options.maxPerClient) {
      writeRawProblem(
        socket,
        429,
        `Too many open connections from your address; at most ${options.maxPerClient} are allowed`,
        { headers: options.headers, extraHeaders: { 'Retry-After': '1' } },
      );
      // Closed once the answer is written, so nothing the client sends meanwhile is served.
      socket.once('finish', () => socket.destroy());
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}
