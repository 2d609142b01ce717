import { HttpProblem, type Logger } from '@finance/shared';
import puppeteer, { type Browser, type HTTPRequest } from 'puppeteer';

export interface PdfRendererOptions {
  executablePath: string;
  /** Pages rendering at once; further requests wait in line. */
  concurrency: number;
  /** Longest a render may take, waiting in line excluded. */
  timeoutMs: number;
  logger: Logger;
}

export interface PdfPageOptions {
  /** HTML for the running footer (Chromium fills .pageNumber / .totalPages). */
  footerTemplate: string;
}

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
 * crashed or disconnected browser is dropped and the next render launches a fresh one.
 */
export class PdfRenderer {
  private browser?: Promise<Browser>;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Most pages ever open at once (observability, and the concurrency test's witness). */
  peakActive = 0;

  constructor(private readonly options: PdfRendererOptions) {}

  get openPages(): number {
    return this.active;
  }

  async render(html: string, page: PdfPageOptions): Promise<Buffer> {
    if (this.closed) throw new HttpProblem(503, 'The PDF renderer is shutting down');
    await this.acquire();
    const work = this.renderNow(html, page);
    // The slot frees when the page is really closed, not when a timed-out caller gave up on it.
    work.finally(() => this.release()).catch(() => undefined);
    return this.withTimeout(work);
  }

  /** Launches the browser ahead of the first request, so that one is fast too. */
  async warmUp(): Promise<void> {
    await this.getBrowser();
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = undefined;
    if (browser) await (await browser.catch(() => undefined))?.close();
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
    this.browser ??= puppeteer
      .launch({
        executablePath: this.options.executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        protocolTimeout: Math.max(this.options.timeoutMs * 2, 30_000),
        // Our graceful shutdown closes the browser after in-flight renders, not puppeteer at the signal.
        handleSIGTERM: false,
        handleSIGINT: false,
        handleSIGHUP: false,
      })
      .then((browser) => {
        browser.once('disconnected', () => {
          if (this.closed) return;
          this.options.logger.warn('chromium disconnected; the next render relaunches it');
          this.browser = undefined;
        });
        return browser;
      });
    const launching = this.browser;
    launching.catch(() => {
      // A failed launch is not cached: the next render tries again.
      if (this.browser === launching) this.browser = undefined;
    });
    return launching;
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
