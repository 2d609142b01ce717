import {
  ChromiumUnavailableError,
  HttpProblem,
  resolveChromium,
  type ChromiumSettings,
  type Logger,
  type ResolveChromiumOptions,
} from '@finance/shared';
import puppeteer, { type Browser, type HTTPRequest } from 'puppeteer-core';

export interface PdfRendererOptions {
  /** Which Chromium (shared's resolveChromium: configured path, the machine's, or the npm-packaged one). */
  chromium: ChromiumSettings;
  /** Where to look (tests: `{ systemCandidates: [] }` takes the npm-packaged one even beside a system one). */
  resolve?: ResolveChromiumOptions;
  /** Pages rendering at once; further requests wait in line. */
  concurrency: number;
  /** Longest a render may take, waiting in line and starting the browser excluded. */
  timeoutMs: number;
  logger: Logger;
  /** After a browser could not be found or started, how long PDF requests answer 503 before one looks again. */
  recheckAfterMs?: number;
}

export interface PdfPageOptions {
  /** HTML for the running footer (Chromium fills .pageNumber / .totalPages). */
  footerTemplate: string;
}

/** Why this server cannot render PDFs: the missing piece and the fix, each one line. */
export class PdfRenderingUnavailable extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'PdfRenderingUnavailable';
  }
}

/** What /readyz says of the renderer: `degraded` while no browser can be had (analytics and CSV still serve). */
export type RendererState = 'up' | 'degraded';

const DEFAULT_RECHECK_AFTER_MS = 60_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * HTML → PDF with one warm Chromium shared by all requests (launching one costs ~1 s): at most
 * `concurrency` pages at a time, each closed whatever happens, each render bounded in time. A
 * crashed or disconnected browser is dropped and the next render launches a fresh one. When no
 * browser can be found or started, PDF requests answer 503 at once (with Retry-After) until the
 * next look, `recheckAfterMs` later; the rest of the service is unaffected.
 */
export class PdfRenderer {
  private browser?: Promise<Browser>;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Set while no browser can be had: why, and when to look again. */
  private unavailable?: { reason: PdfRenderingUnavailable; until: number };
  /** Most pages ever open at once (observability, and the concurrency test's witness). */
  peakActive = 0;

  constructor(private readonly options: PdfRendererOptions) {}

  get openPages(): number {
    return this.active;
  }

  /** For /readyz: `degraded` while the last attempt found no usable browser. */
  get state(): RendererState {
    return this.unavailable ? 'degraded' : 'up';
  }

  async render(html: string, page: PdfPageOptions): Promise<Buffer> {
    if (this.closed) throw new HttpProblem(503, 'The PDF renderer is shutting down');
    this.assertAvailable();
    // Starting the browser (the first time: unpacking the npm one) is bounded by its own limits
    // (launch 30 s, unpack 120 s), not by the render's: that one measures the page's work.
    await this.getBrowser();
    await this.acquire();
    const work = this.renderNow(html, page);
    // The slot frees when the page is really closed, not when a timed-out caller gave up on it.
    work.finally(() => this.release()).catch(() => undefined);
    return this.withTimeout(work);
  }

  /**
   * Finds and launches the browser ahead of the first request, so that one is fast too. Rejects
   * with {@link PdfRenderingUnavailable} when there is none to be had.
   */
  async warmUp(): Promise<void> {
    try {
      await this.getBrowser();
    } catch (error) {
      throw this.unavailable?.reason ?? error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = undefined;
    if (browser) await (await browser.catch(() => undefined))?.close();
  }

  /** Throws {@link PdfUnavailableProblem} while the last look found no browser (call before costly work). */
  assertAvailable(): void {
    if (!this.unavailable) return;
    const waitMs = this.unavailable.until - Date.now();
    if (waitMs > 0) throw new PdfUnavailableProblem(waitMs);
  }

  private async renderNow(html: string, options: PdfPageOptions): Promise<Buffer> {
    const browser = await this.getBrowser();
    const page = await browser.newPage();
    try {
      // Nothing in a report may reach the network: templates are self-contained.
      await page.setJavaScriptEnabled(false);
      await page.setRequestInterception(true);
      page.on('request', (request: HTTPRequest) => {
        if (request.url().startsWith('data:')) void request.continue();
        else void request.abort('blockedbyclient');
      });
      await page.setContent(html, { waitUntil: 'load', timeout: this.options.timeoutMs });
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: options.footerTemplate,
        margin: { top: '14mm', bottom: '18mm', left: '14mm', right: '14mm' },
        timeout: this.options.timeoutMs,
      });
      return Buffer.from(pdf);
    } finally {
      await page
        .close()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'closing a PDF page failed'));
    }
  }

  private getBrowser(): Promise<Browser> {
    if (this.browser) return this.browser;
    const launching = this.launch().then(
      (browser) => {
        this.unavailable = undefined;
        browser.once('disconnected', () => {
          if (this.closed) return;
          this.options.logger.warn('chromium disconnected; the next render relaunches it');
          if (this.browser === launching) this.browser = undefined;
        });
        return browser;
      },
      (error: unknown) => {
        // A failed launch is not cached: the next look, recheckAfterMs later, tries again.
        if (this.browser === launching) this.browser = undefined;
        const reason = unavailableReason(error);
        const recheckAfterMs = this.options.recheckAfterMs ?? DEFAULT_RECHECK_AFTER_MS;
        this.unavailable = { reason, until: Date.now() + recheckAfterMs };
        throw new PdfUnavailableProblem(recheckAfterMs);
      },
    );
    this.browser = launching;
    return launching;
  }

  private async launch(): Promise<Browser> {
    const chromium = await resolveChromium(this.options.chromium, this.options.resolve);
    this.options.logger.info({ chromium: chromium.description }, 'launching chromium for PDF rendering');
    try {
      return await puppeteer.launch({
        executablePath: chromium.executablePath,
        env: { ...process.env, ...chromium.env },
        headless: true,
        args: CHROMIUM_ARGS,
        protocolTimeout: Math.max(this.options.timeoutMs * 2, 30_000),
        // Our graceful shutdown closes the browser after in-flight renders, not puppeteer at the signal.
        handleSIGTERM: false,
        handleSIGINT: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new PdfRenderingUnavailable(
        `Chromium (${chromium.description}) did not start: ${firstLine}`,
        chromium.source === 'configured'
          ? 'check that this executable is a working Chromium or Chrome, or unset the variable'
          : 'install a Chromium the system can run (apt-get install chromium) or set CHROMIUM_PATH to one',
      );
    }
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HttpProblem(503, `The PDF was not rendered within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private acquire(): Promise<void> {
    if (this.active < this.options.concurrency) {
      this.active++;
      this.peakActive = Math.max(this.peakActive, this.active);
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.active++;
        this.peakActive = Math.max(this.peakActive, this.active);
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

function unavailableReason(error: unknown): PdfRenderingUnavailable {
  if (error instanceof PdfRenderingUnavailable) return error;
  if (error instanceof ChromiumUnavailableError) return new PdfRenderingUnavailable(error.message, error.fix);
  const message = error instanceof Error ? error.message : String(error);
  // In practice: unpacking the npm-packaged browser failed (the temp folder is full or not writable).
  return new PdfRenderingUnavailable(
    `no Chromium could be prepared: ${message.split('\n')[0]}`,
    'give the temp folder (TMPDIR) ~250 MB and write access, or set CHROMIUM_PATH to an installed Chromium',
  );
}

/** The answer to a PDF request while no browser can be had: 503, never 500, and when to try again. */
export class PdfUnavailableProblem extends HttpProblem {
  constructor(retryInMs: number) {
    super(
      503,
      'PDF rendering is unavailable on this server: it has no working browser to render with. Analytics and CSV exports still work.',
      { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryInMs / 1000))) } },
    );
  }
}
