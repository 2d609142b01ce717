import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createShutdown } from '../src/shutdown';

/**
 * A graceful shutdown while a keep-alive client (the gateway, a load balancer) has a request in
 * flight: the request is answered, its connection then closed as it turns idle, and the shutdown
 * finishes — not held open until the socket's keep-alive timeout or SHUTDOWN_TIMEOUT_MS, where
 * it would reset the connections still open (found by the fault tests' rolling restart).
 */
describe('createShutdown', () => {
  it('answers the request in flight, then closes its keep-alive connection and finishes', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const server = http.createServer(async (_req, res) => {
      arrived();
      await held;
      res.end('answered');
    });
    // Like a service: it never closes an idle keep-alive socket first (the client does).
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true });
    const closedByServer = new Promise<void>((resolve) =>
      agent.on('free', (socket) => socket.once('close', () => resolve())),
    );
    const answer = new Promise<{ status?: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        })
        .on('error', reject);
    });
    await inFlight;

    const stop = createShutdown({ logger: pino({ level: 'silent' }), servers: [server], timeoutMs: 600_000 });
    const stopped = stop();
    release();

    expect(await answer).toEqual({ status: 200, body: 'answered' });
    await closedByServer;
    await stopped;
    expect(server.listening).toBe(false);
    agent.destroy();
  });
});
