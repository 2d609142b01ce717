import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The gateway's security headers (helmet), with a CSP that lets the Swagger UI at /docs work:
 * every script, style and image comes from the gateway itself.
 */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
});

/**
 * The same headers as a plain record, for answers written straight onto a socket (requests
 * Node's parser refused, connections over the per-client cap), where no express response
 * exists. Taken from the middleware itself, so both always agree. helmet sets them
 * synchronously and reads nothing of the request.
 */
export function securityHeaderRecord(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => delete headers[name],
    getHeader: (name: string) => headers[name],
  } as unknown as ServerResponse;
  let finished = false;
  (securityHeaders as unknown as (req: IncomingMessage, res: ServerResponse, next: () => void) => void)(
    {} as IncomingMessage,
    response,
    () => (finished = true),
  );
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return headers;
}
