import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { startHttpServer, type RunningServer } from '@finance/shared/testing';
import { parseConfig } from '@finance/shared';
import { gatewayConfigSchema, type GatewayConfig } from '../src/config';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingUpstream extends RunningServer {
  name: string;
  /** Requests the service received, except its own /openapi.json and /readyz. */
  received: ReceivedRequest[];
}

export type UpstreamBehaviour = (req: ReceivedRequest, res: ServerResponse) => boolean | void;

/**
 * A real HTTP service on a loopback port that records what reaches it and answers
 * `{service, method, url, body}`; `behaviour` may answer differently (return true when it did).
 */
export async function startRecordingUpstream(
  name: string,
  options: { behaviour?: UpstreamBehaviour; openapi?: unknown; ready?: boolean } = {},
): Promise<RecordingUpstream> {
  const received: ReceivedRequest[] = [];
  const server = await startHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.setHeader('content-type', 'application/json');
      if (request.url === '/openapi.json') {
        if (!options.openapi) res.statusCode = 404;
        return res.end(JSON.stringify(options.openapi ?? {}));
      }
      if (request.url === '/readyz') {
        res.statusCode = options.ready === false ? 503 : 200;
        return res.end(JSON.stringify({ status: options.ready === false ? 'not ready' : 'ready' }));
      }
      received.push(request);
      if (options.behaviour?.(request, res)) return;
      res.end(
        JSON.stringify({ service: name, method: request.method, url: request.url, body: request.body }),
      );
    });
  });
  return Object.assign(server, { name, received });
}

/** A URL where nothing listens: a port that was just free. */
export async function closedPortUrl(): Promise<string> {
  const server = await startHttpServer((_req, res) => res.end());
  await server.close();
  return server.url;
}

/** The gateway's config as it would be parsed from these environment variables. */
export function gatewayConfig(env: Record<string, string>): GatewayConfig {
  return parseConfig(gatewayConfigSchema, { LOG_LEVEL: 'silent', ...env });
}

/**
 * One request with node:http, for what fetch would not send as-is: a literal path
 * (`/a/%2e%2e/b`, which fetch normalises) or a chunked body written piece by piece.
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: string[] },
): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: options.path,
        method: options.method,
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}
