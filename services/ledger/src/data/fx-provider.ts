import axios, { type AxiosInstance } from 'axios';
import { parse as parseLosslessJson } from 'lossless-json';
import { z } from 'zod';
import { calendarDateSchema } from '@finance/shared';

/** One day of rates as the provider published them: `rates[quote]` units per unit of `base`. */
export interface ProviderDay {
  base: string;
  date: string;
  /** Exact decimal strings, as the provider wrote them (never through a float). */
  rates: Record<string, string>;
}

export class FxProviderError extends Error {
  constructor(
    /** unreachable: no answer (network, timeout, 5xx) after the retries; refused: a 4xx; malformed: an answer that is not the format. */
    readonly kind: 'unreachable' | 'refused' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'FxProviderError';
  }
}

const code = z.string().regex(/^[A-Z]{3}$/);
const decimal = z.string().regex(/^\d{1,15}(\.\d{1,15})?$/, 'a plain decimal number');
/** Rates are per one unit of the base: an answer for another amount would scale every rate. */
const unitAmount = z.string().refine((a) => /^1(\.0*)?$/.test(a), 'amount must be 1');
const daySchema = z.object({
  amount: unitAmount,
  base: code,
  date: calendarDateSchema,
  rates: z.record(code, decimal),
});
const rangeSchema = z.object({
  amount: unitAmount,
  base: code,
  start_date: calendarDateSchema,
  end_date: calendarDateSchema,
  rates: z.record(calendarDateSchema, z.record(code, decimal)),
});

export interface FxProviderOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Further attempts after a failed one (network error, timeout, 5xx, 429). */
  retries: number;
  /** First back-off; doubles each retry. */
  backoffMs: number;
}

/**
 * A client of the Frankfurter API (ECB reference rates; self-hostable): `/latest`, `/{date}` and
 * `/{start}..{end}`, each with `base` and `symbols`. Numbers are read as the decimal text the
 * provider sent (lossless-json), and every answer is checked against the format before use.
 */
export class FrankfurterClient {
  private readonly http: AxiosInstance;

  constructor(private readonly options: FxProviderOptions) {
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      // The raw text: JSON.parse would turn 1.0843 into a float.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
  }

  /** The latest published day (the provider's latest working day). */
  async latest(base: string, symbols?: string[]): Promise<ProviderDay> {
    return this.day('/latest', base, symbols);
  }

  /** The day `date`, or the provider's last working day before it (a Sunday gives Friday). */
  async onDate(date: string, base: string, symbols?: string[]): Promise<ProviderDay> {
    return this.day(`/${date}`, base, symbols);
  }

  /** Every published day from `start` to `end` (working days only). */
  async range(start: string, end: string, base: string, symbols?: string[]): Promise<ProviderDay[]> {
    const body = rangeSchema.safeParse(await this.get(`/${start}..${end}`, base, symbols));
    if (!body.success) throw malformed(body.error);
    return Object.entries(body.data.rates).map(([date, rates]) => ({ base: body.data.base, date, rates }));
  }

  private async day(path: string, base: string, symbols?: string[]): Promise<ProviderDay> {
    const body = daySchema.safeParse(await this.get(path, base, symbols));
    if (!body.success) throw malformed(body.error);
    return { base: body.data.base, date: body.data.date, rates: body.data.rates };
  }

  private async get(path: string, base: string, symbols?: string[]): Promise<unknown> {
    const params: Record<string, string> = { base };
    if (symbols?.length) params.symbols = symbols.join(',');
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await delay(this.options.backoffMs * 2 ** (attempt - 1));
      let status: number;
      let text: unknown;
      try {
        const response = await this.http.get<string>(path, { params });
        status = response.status;
        text = response.data;
      } catch (error) {
        lastProblem = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
        continue;
      }
      if (status >= 500 || status === 429) {
        lastProblem = `HTTP ${status}`;
        continue;
      }
      if (status >= 400)
        throw new FxProviderError('refused', `the rate provider answered HTTP ${status} to ${path}`);
      try {
        return parseLosslessJson(String(text), null, (value) => value);
      } catch {
        throw new FxProviderError('malformed', `the rate provider's answer to ${path} is not JSON`);
      }
    }
    throw new FxProviderError(
      'unreachable',
      `the rate provider did not answer ${path} after ${this.options.retries + 1} attempts (${lastProblem})`,
    );
  }
}

function malformed(error: z.ZodError): FxProviderError {
  const first = error.issues[0];
  return new FxProviderError(
    'malformed',
    `the rate provider's answer is not in the Frankfurter format (${first.path.join('.') || 'body'}: ${first.message})`,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
