import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumSettingsFromEnv, resolveChromium, type FinanceEvent } from '@finance/shared';
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeEvent } from '../src/domain/notification-content';
import type { NotifyingEventType } from '../src/domain/kinds';
import { EmailTemplates } from '../src/email/templates';
import { oneOfEachKind } from './fixtures';

/**
 * What a person sees: each kind's e-mail rendered by Chromium to a PNG (in EMAIL_PREVIEW_DIR, or
 * a folder in the temp dir) to look at, and checked for what must be on it: the figures, no
 * request to the network, a card no wider than 560 px that shrinks to a phone's width.
 */
const previewDir = process.env.EMAIL_PREVIEW_DIR ?? join(tmpdir(), 'notifier-email-previews');

describe('notifier e-mails as rendered by Chromium', () => {
  let browser: Browser;
  const templates = EmailTemplates.load();

  beforeAll(async () => {
    await mkdir(previewDir, { recursive: true });
    const chromium = await resolveChromium(chromiumSettingsFromEnv());
    browser = await puppeteer.launch({
      executablePath: chromium.executablePath,
      env: { ...process.env, ...chromium.env },
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  }, 120_000);
  afterAll(() => browser?.close());

  const events = oneOfEachKind('0190f0f0-0000-7000-8000-000000000001');

  it.each(events.map((event) => [event.type, event] as const))('renders %s', async (type, event) => {
    const content = describeEvent(
      type as NotifyingEventType,
      (event as FinanceEvent<NotifyingEventType>).payload,
    );
    const mail = templates.render(content.kind, {
      subject: content.title,
      username: 'Ada',
      details: content.details,
    });
    const page = await browser.newPage();
    try {
      const external: string[] = [];
      await page.setRequestInterception(true);
      page.on('request', (request) => {
        if (request.url().startsWith('data:') || request.url() === 'about:blank')
          return void request.continue();
        external.push(request.url());
        void request.abort();
      });
      await page.setViewport({ width: 640, height: 600 });
      await page.setContent(mail.html, { waitUntil: 'load' });
      const path = join(previewDir, `${content.kind}.png`);
      await page.screenshot({ path, fullPage: true });
      expect((await stat(path)).size).toBeGreaterThan(5_000);
      // Expressions, not functions: the tests are compiled without the DOM's types.
      const text = (await page.evaluate('document.body.innerText')) as string;
      expect(text).toContain('Hi Ada,');
      expect(text).toContain(content.title);
      for (const value of Object.values(content.details).filter((v) => v !== null && v !== ''))
        expect(text).toContain(String(value));
      const cardWidth = (await page.evaluate(
        `document.querySelector('table table').getBoundingClientRect().width`,
      )) as number;
      expect(cardWidth).toBeLessThanOrEqual(562);
      // On a phone: the card shrinks, nothing scrolls sideways.
      await page.setViewport({ width: 375, height: 600 });
      await page.screenshot({ path: join(previewDir, `${content.kind}-375.png`), fullPage: true });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
