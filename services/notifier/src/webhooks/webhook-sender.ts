import axios from 'axios';
import type { Readable } from 'node:stream';
import { TargetRefused, type WebhookTargetGuard } from './target-guard';

/** How much of a receiver's answer the attempt log keeps. */
export const RESPONSE_EXCERPT_BYTES = 512;

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

/**
 * One delivery attempt: a POST of the exact body with the signed headers, through the SSRF
 * guard's agents; no redirect is followed (a 3xx is a failure), no proxy from the environment
 * is used, the whole attempt is bounded by `timeoutMs`, and only the first bytes of the answer are
 * read. Success is a 2xx.
 */
export async function attemptDelivery(
  guard: WebhookTargetGuard,
  target: { url: string; body: string; headers: Record<string, string>; timeoutMs: number },
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = await guard.check(target.url);
  } catch (error) {
    const reason = error instanceof TargetRefused ? error.reason : String(error);
    return {
      ok: false,
      statusCode: null,
      error: `refused: ${reason}`,
      responseExcerpt: null,
      durationMs: elapsed(),
    };
  }
  const signal = AbortSignal.timeout(target.timeoutMs);
  try {
    const response = await axios.post<Readable>(url.href, target.body, {
      ...guard.agentsFor(url, target.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'FinanceTracker-Webhooks/1.0',
        ...target.headers,
      },
      // The body is signed as these bytes: axios must not re-serialise it.
      transformRequest: [(data: string) => data],
      responseType: 'stream',
      decompress: false,
      maxRedirects: 0,
      proxy: false,
      timeout: target.timeoutMs,
      signal,
      validateStatus: () => true,
    });
    const excerpt = await readExcerpt(response.data, signal);
    const ok = response.status >= 200 && response.status < 300;
    const location = response.headers.location as string | undefined;
    const error = ok
      ? null
      : response.status >= 300 && response.status < 400
        ? `redirect not followed (${response.status}${location ? ` to ${location.slice(0, 200)}` : ''})`
        : `HTTP ${response.status}`;
    return { ok, statusCode: response.status, error, responseExcerpt: excerpt, durationMs: elapsed() };
  } catch (error) {
    return {
      ok: false,
      statusCode: null,
      error: describe(error),
      responseExcerpt: null,
      durationMs: elapsed(),
    };
  }
}

function describe(error: unknown): string {
  if (axios.isAxiosError(error)) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    if (cause instanceof TargetRefused || cause?.code === 'ESSRF') return `refused: ${cause.message}`;
    if (error.code === 'ECONNABORTED' || error.code === 'ERR_CANCELED' || error.code === 'ETIMEDOUT')
      return 'timed out';
    return error.code ? `${error.code}: ${error.message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The first bytes of the answer as text; the rest is not read (the socket is closed). */
async function readExcerpt(stream: Readable, signal: AbortSignal): Promise<string | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      if (signal.aborted) break;
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= RESPONSE_EXCERPT_BYTES) break;
    }
  } catch {
    // An answer cut short still has its status; what was read is kept.
  } finally {
    stream.destroy();
  }
  if (length === 0) return null;
  // toString replaces a multi-byte character cut at the end with U+FFFD, never throws.
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}
