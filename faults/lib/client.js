// The client side of the fault runs: JSON over HTTP to the gateway, with every answer recorded
// (status, time, problem type), so a scenario can say how many requests failed and how.
'use strict';

class ApiClient {
  constructor(baseUrl, { timeoutMs = 30_000 } = {}) {
    this.baseUrl = baseUrl;
    this.timeoutMs = timeoutMs;
    this.log = [];
  }

  async request(method, path, { token, body, headers = {}, timeoutMs } = {}) {
    const started = Date.now();
    const init = {
      method,
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(timeoutMs ?? this.timeoutMs),
    };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let entry;
    try {
      const response = await fetch(this.baseUrl + path, init);
      const text = await response.text();
      let json;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      entry = {
        method,
        path,
        status: response.status,
        ms: Date.now() - started,
        at: started,
        body: json,
        contentType: response.headers.get('content-type') ?? '',
        retryAfter: response.headers.get('retry-after'),
        headers: response.headers,
      };
    } catch (error) {
      entry = {
        method,
        path,
        status: 0,
        ms: Date.now() - started,
        at: started,
        error: error.cause?.code ?? error.name,
      };
    }
    this.log.push({ ...entry, body: undefined, headers: undefined });
    return entry;
  }

  /** Every page of a keyset-paginated list (`{data, next_cursor}`). */
  async all(path, token, limit = 100) {
    const items = [];
    let cursor = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await this.request(
        'GET',
        `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token },
      );
      if (page.status !== 200) throw new Error(`GET ${path} → ${page.status} ${JSON.stringify(page.body)}`);
      items.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return items;
  }

  /** Counts of answers since `from` (an index into the log), by status class. */
  summary(from = 0, to = this.log.length) {
    const counts = {};
    for (const entry of this.log.slice(from, to)) {
      const key = entry.status === 0 ? `error:${entry.error}` : String(entry.status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

module.exports = { ApiClient };
