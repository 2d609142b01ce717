import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import jwt from 'jsonwebtoken';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { parseConfig } from '@finance/shared';
import { gatewayConfigSchema, type GatewayConfig } from '../src/config';
import { startGateway, type StartGatewayOptions } from '../src/main';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingUpstream extends RunningServer {
  name: string;
  /** Requests the service received, except its own /openapi.json, /readyz and /internal/* (the revocation feed). */
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
      // The gateway's revocation feed polls auth; a recording service has no feed (404).
      if (request.url.startsWith('/internal/')) {
        res.statusCode = 404;
        return res.end('{}');
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
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
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
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
}

/** Splits an HTTP/1.1 answer as read off a socket (one answer, Content-Length or no body). */
export function parseRawAnswer(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, json };
}

/**
 * Writes `bytes` on a fresh TCP connection and reads until the server closes it: for requests
 * no HTTP client would send (malformed, thousands of headers, trickled headers).
 */
export function rawExchange(baseUrl: string, bytes: string | Buffer): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      if (bytes.length) socket.write(bytes);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer was read still leaves a complete answer to look at.
    socket.on('error', (error) => (chunks.length ? undefined : reject(error)));
    socket.on('close', () => resolve(parseRawAnswer(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** `count` short distinct header lines (`x7:v`), for requests with many header fields. */
export function manyHeaders(count: number): string {
  let lines = '';
  for (let i = 0; i < count; i++) lines += `x${i}:v\r\n`;
  return lines;
}

/**
 * The gateway started as in production ({@link startGateway}), on loopback ports, with the
 * metrics port on any free port.
 */
export function startTestGateway(env: Record<string, string>, options: StartGatewayOptions = {}) {
  return startGateway(
    gatewayConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', ...env }),
    { logger: testLogger('gateway'), ...options },
  );
}

/**
 * A stand-in for auth's token signing that, unlike the shared TestTokenIssuer, also puts the
 * session version (`sv`) in the tokens: a real RSA key and a real JWKS on loopback.
 */
export async function startSessionTokenIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const server = await startHttpServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  return {
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    /** `sv: undefined` leaves the claim out, as tokens issued before session versions existed. */
    token: (userId: string, sv?: number) =>
      jwt.sign({ role: 'user', ...(sv === undefined ? {} : { sv }) }, privateKey, {
        algorithm: 'RS256',
        keyid: kid,
        subject: userId,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        expiresIn: 900,
        jwtid: randomUUID(),
      }),
    close: () => server.close(),
  };
}
