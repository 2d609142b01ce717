import { Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import client from 'prom-client';
import {
  PROXY_SECRET_HEADER,
  HttpProblem,
  UPSTREAM_KEEP_ALIVE_MS,
  metricsRegistry,
  requestIdFrom,
  runWithContext,
  type Logger,
} from '@finance/shared/http';
import type { Upstream } from '../domain/route-table';
import { bodyLimitFor, bodyTooLarge, type BodyLimits } from './body-limit';
import { sendGatewayProblem } from './own-answers';

/**
 * Idle sockets to a service are closed this long after their last use, before the service
 * closes its side (UPSTREAM_KEEP_ALIVE_MS): a request is never written to a socket the service
 * is closing, which would be a 502.
 */
const UPSTREAM_IDLE_SOCKET_MS = UPSTREAM_KEEP_ALIVE_MS - 5_000;

export interface ProxyOptions {
  /** Connect timeout, answer timeout (after the body is sent) and idle timeout on the upstream socket. */
  timeoutMs: number;
  bodyLimits: BodyLimits;
  logger: Logger;
  /** Sent to the services (`x-proxy-secret`): with it they believe the X-Forwarded-For the gateway writes. */
  proxySecret?: string;
}

/** The gateway itself cut an upstream exchange short, for the reason in `problem`. */
class UpstreamCut extends Error {
  constructor(readonly problem: HttpProblem) {
    super(problem.detail);
  }
}

const upstreamDuration = new client.Histogram({
  name: 'gateway_upstream_duration_seconds',
  help: 'Time until a service answered through the gateway, by service and status',
  labelNames: ['upstream', 'method', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});
type StopTimer = ReturnType<typeof upstreamDuration.startTimer>;

const tooSlow = (upstream: Upstream) =>
  new HttpProblem(504, `The ${upstream.name} service did not answer in time`);

function problemFor(error: Error & { code?: string }, upstream: Upstream): HttpProblem {
  if (error instanceof UpstreamCut) return error.problem;
  if (error.code === 'ETIMEDOUT') return tooSlow(upstream);
  return new HttpProblem(502, `The ${upstream.name} service is unavailable`);
}

/** Arms the three timeouts of one upstream exchange; any of them cuts it with a 504. */
function armTimeouts(proxyReq: ClientRequest, timeoutMs: number, upstream: Upstream): void {
  const cut = () => {
    if (!proxyReq.destroyed) proxyReq.destroy(new UpstreamCut(tooSlow(upstream)));
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(cut, timeoutMs);
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  // Connecting: a black-holed service would otherwise hang until the OS gives up.
  proxyReq.once('socket', (socket: Socket) => {
    if (socket.connecting) socket.once('connect', clear);
    else clear();
  });
  // Answering: from the end of the request body to the answer's headers.
  proxyReq.once('finish', () => {
    clear();
    timer = setTimeout(cut, timeoutMs);
  });
  proxyReq.once('response', clear);
  proxyReq.once('close', clear);
  // Idle: a stalled upload or a stalled streamed answer.
  proxyReq.setTimeout(timeoutMs, cut);
}

/**
 * Forwards requests to one service, path and query unchanged, over a keep-alive agent.
 * Headers pass through (Authorization included: services verify the token again), plus
 * X-Forwarded-For/-Proto/-Host and, when configured, the proxy secret services believe them by;
 * the request id was already set by the request context.
 * A refused connection answers 502, a service slower than the timeout 504, a chunked body
 * over the limit 413; the service's own answers, problem+json included, pass untouched.
 */
export function upstreamProxy(upstream: Upstream, options: ProxyOptions): RequestHandler {
  const AgentClass = upstream.url.startsWith('https:') ? HttpsAgent : HttpAgent;
  const agent = new AgentClass({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 32,
    timeout: UPSTREAM_IDLE_SOCKET_MS,
  });
  const timers = new WeakMap<IncomingMessage, StopTimer>();

  const proxy = createProxyMiddleware<Request, Response>({
    target: upstream.url,
    agent,
    changeOrigin: true,
    xfwd: true,
    on: {
      proxyReq: (proxyReq, req) => {
        // What proves to the service that X-Forwarded-For is ours (a client's own copy never passes).
        if (options.proxySecret) proxyReq.setHeader(PROXY_SECRET_HEADER, options.proxySecret);
        else proxyReq.removeHeader(PROXY_SECRET_HEADER);
        timers.set(req, upstreamDuration.startTimer({ upstream: upstream.name, method: req.method }));
        armTimeouts(proxyReq, options.timeoutMs, upstream);
        // Chunked bodies declare no length; count them as they stream through.
        const limit = bodyLimitFor(req.path, options.bodyLimits);
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limit && !proxyReq.destroyed) {
            req.unpipe(proxyReq);
            proxyReq.destroy(new UpstreamCut(bodyTooLarge(limit)));
          }
        });
      },
      proxyRes: (proxyRes, req) => {
        timers.get(req)?.({ status: String(proxyRes.statusCode ?? 0) });
      },
      error: (error: Error & { code?: string }, req, res) => {
        const problem = problemFor(error, upstream);
        timers.get(req)?.({ status: String(problem.status) });
        // Socket events run in whichever request's context created the pooled socket, so the
        // context of this request is restored from its own header for the log and the answer.
        const requestId = requestIdFrom(req.headers['x-request-id']);
        runWithContext({ requestId, correlationId: requestId }, () => {
          options.logger[problem.status === 413 ? 'info' : 'warn'](
            { upstream: upstream.name, code: error.code, err: error, path: req.originalUrl },
            'upstream exchange failed',
          );
          // Once the service's answer has started there is no way to turn it into a problem.
          if (!('writeHead' in res) || res.headersSent) return void res.destroy();
          sendGatewayProblem(res, problem);
        });
      },
    },
  });
  return (req, res, next) => {
    void proxy(req, res, next);
  };
}
