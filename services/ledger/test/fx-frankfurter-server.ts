import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers instead of rates: the failures a real provider shows. */
export type FrankfurterMode = 'ok' | 'down' | 'hang' | 'garbage' | 'wrong-shape';

/**
 * A real local HTTP server speaking the Frankfurter API's format (EUR-based ECB days):
 * `/latest`, `/{date}` (the latest day on or before it), `/{start}..{end}`, with `base` (EUR
 * only, as the ECB publishes) and `symbols`. Rates are written into the JSON as the decimal text
 * given, the way Frankfurter writes numbers.
 */
export class FakeFrankfurter {
  private server!: Server;
  /** date → quote → rate text. */
  days = new Map<string, Record<string, string>>();
  mode: FrankfurterMode = 'ok';
  /** Answer this many requests with a 503 before answering normally. */
  failNext = 0;
  readonly requests: string[] = [];
  /** While set, requests are recorded at once and answered when it resolves (a slow provider). */
  gate?: Promise<void>;
  private readonly hanging: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setDay(date: string, rates: Record<string, string>): this {
    this.days.set(date, rates);
    return this;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.url ?? '');
    if (this.gate) void this.gate.then(() => this.respond(req, res));
    else this.respond(req, res);
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (this.failNext > 0) {
      this.failNext--;
      return this.send(res, 503, '{"message":"busy"}');
    }
    if (this.mode === 'down') return this.send(res, 500, '{"message":"internal error"}');
    if (this.mode === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (this.mode === 'garbage') return this.send(res, 200, '<html>not json');
    if (this.mode === 'wrong-shape') return this.send(res, 200, '{"amount":1.0,"base":"EUR","rates":[1,2]}');
    const base = url.searchParams.get('base') ?? 'EUR';
    if (base !== 'EUR') return this.send(res, 422, '{"message":"only EUR in this fake"}');
    const symbols = url.searchParams.get('symbols')?.split(',');
    const pick = (rates: Record<string, string>) =>
      Object.entries(rates).filter(([code]) => !symbols || symbols.includes(code));
    const json = (rates: Record<string, string>) =>
      `{${pick(rates)
        .map(([code, rate]) => `"${code}":${rate}`)
        .join(',')}}`;
    const dates = [...this.days.keys()].sort();
    const path = url.pathname.slice(1);
    const range = /^(\d{4}-\d\d-\d\d)\.\.(\d{4}-\d\d-\d\d)?$/.exec(path);
    if (range) {
      const [, start, end = '9999-12-31'] = range;
      const inRange = dates.filter((d) => d >= start && d <= end);
      if (inRange.length === 0) return this.send(res, 404, '{"message":"not found"}');
      const body =
        `{"amount":1.0,"base":"EUR","start_date":"${inRange[0]}","end_date":"${inRange.at(-1)}","rates":{` +
        inRange.map((d) => `"${d}":${json(this.days.get(d)!)}`).join(',') +
        '}}';
      return this.send(res, 200, body);
    }
    const onOrBefore = path === 'latest' ? '9999-12-31' : /^\d{4}-\d\d-\d\d$/.test(path) ? path : undefined;
    if (!onOrBefore) return this.send(res, 404, '{"message":"not found"}');
    const date = dates.filter((d) => d <= onOrBefore).at(-1);
    if (!date) return this.send(res, 404, '{"message":"not found"}');
    return this.send(
      res,
      200,
      `{"amount":1.0,"base":"EUR","date":"${date}","rates":${json(this.days.get(date)!)}}`,
    );
  }

  private send(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  }
}
