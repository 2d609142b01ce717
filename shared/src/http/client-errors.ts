import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

export interface RawProblemOptions {
  /** Headers every answer of this server carries (the gateway's security headers, say). */
  headers?: Record<string, string>;
  /** Headers of this answer only. */
  extraHeaders?: Record<string, string>;
}

/**
 * Writes a whole problem+json answer straight onto a socket, for answers given where Node has
 * no request or response object (a request its parser refused, a connection refused at once).
 * It carries a fresh `x-request-id` (the request was never read, so no client id is trusted),
 * `Cache-Control: no-store`, and closes the connection. Returns the request id.
 */
export function writeRawProblem(
  socket: Duplex,
  status: number,
  detail: string,
  options: RawProblemOptions = {},
): string {
  const requestId = randomUUID();
  const title = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail, request_id: requestId });
  const headers: Record<string, string> = {
    ...options.headers,
    ...options.extraHeaders,
    'x-request-id': requestId,
    'Cache-Control': 'no-store',
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  // A header value with a line break would let a caller's configuration split the answer.
  const lines = Object.entries(headers)
    .filter(([name, value]) => !/[\r\n]/.test(name) && !/[\r\n]/.test(value))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${title}\r\n${lines}\r\n${body}`);
  return requestId;
}

export interface ClientErrorOptions extends Pick<RawProblemOptions, 'headers'> {
  /** The server's limit on the request line plus headers, for the 431 message (default: Node's). */
  maxHeaderBytes?: number;
  /** Logs one line per refused request, with the request id the client was given. */
  logger?: Pick<Logger, 'info'>;
}

/** A ServerResponse that has started writing on this socket (pipelining): raw bytes would corrupt it. */
function hasAnswerInFlight(socket: Duplex): boolean {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return inFlight?.headersSent === true;
}

/**
 * Answers what Node's HTTP parser refuses before express sees it (a URL or headers over the
 * size limit, a request too slow to arrive, bytes that are not HTTP) with a problem+json like
 * every other error, instead of Node's bare status line: with `x-request-id`, `no-store` and
 * the server's own headers (`options.headers`). A connection that is already gone, or whose
 * previous answer is half written, is just closed.
 */
export function answerClientErrorsAsProblems(server: Server, options: ClientErrorOptions = {}): void {
  const kb = Math.round((options.maxHeaderBytes ?? maxHeaderSize) / 1024);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || hasAnswerInFlight(socket)) {
      socket.destroy();
      return;
    }
    const [status, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, `The request URL or headers are larger than the server accepts (${kb} KB)`]
        : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? [413, 'The chunk extensions of the request body are too large']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'The request was not received in time']
            : [400, 'The request is not valid HTTP'];
    const requestId = writeRawProblem(socket, status, detail, { headers: options.headers });
    options.logger?.info({ requestId, status, code: error.code }, 'malformed request refused');
  });
}
