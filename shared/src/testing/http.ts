import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server } from 'node:http';
import pino from 'pino';
import { answerClientErrorsAsProblems } from '../http/client-errors';

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port, as tests talk to the real app over HTTP. */
export async function startHttpServer(handler: RequestListener): Promise<RunningServer> {
  const server = createServer(handler);
  answerClientErrorsAsProblems(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logger for tests: silent unless TEST_LOG_LEVEL is set. */
export function testLogger(name = 'test') {
  return pino({ name, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** JSON over HTTP with fetch, returning status, headers and the parsed body. */
export async function httpJson<T = any>(
  method: string,
  url: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}
