import { chromiumSettingsFromEnv, resolveChromium } from '@finance/shared';
import puppeteer, { type Browser } from 'puppeteer-core';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  startHttpServer,
  testLogger,
  waitFor,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { gatewayConfig, startRecordingUpstream, type RecordingUpstream } from './upstreams';

/**
 * /docs in a real headless Chromium: Swagger UI must render under the gateway's CSP, and its
 * "Authorize" (OAuth2 password flow) must reach the login through the gateway.
 */
describe('Swagger UI at /docs in a browser', () => {
  const issuer = new TestTokenIssuer();
  let auth: RecordingUpstream;
  let gateway: RunningServer;
  let browser: Browser;

  // Chromium starts slowly on a busy machine.
  beforeAll(async () => {
    await issuer.start();
    auth = await startRecordingUpstream('auth', {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'auth', version: '1' },
        paths: { '/users/me': { get: { summary: 'Who am I', responses: { 200: { description: 'ok' } } } } },
      },
      behaviour: (req, res) => {
        if (req.url !== '/auth/login') return false;
        res.end(JSON.stringify({ access_token: issuer.token('u1'), token_type: 'bearer', expires_in: 900 }));
        return true;
      },
    });
    gateway = await startHttpServer(
      buildApp(
        gatewayConfig({
          AUTH_URL: auth.url,
          JWKS_URL: issuer.jwksUrl,
          JWT_ISSUER: TEST_ISSUER,
          JWT_AUDIENCE: TEST_AUDIENCE,
        }),
        { logger: testLogger() },
      ),
    );
    // The browser reports renders with: CHROMIUM_PATH, the machine's, else the npm-packaged one.
    const chromium = await resolveChromium(chromiumSettingsFromEnv());
    browser = await puppeteer.launch({
      executablePath: chromium.executablePath,
      env: { ...process.env, ...chromium.env },
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await auth?.close();
    await issuer.stop();
  });

  it('renders the merged API under the CSP and logs in with username and password', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    await page.goto(`${gateway.url}/docs`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
    const paths = await page.$$eval('.opblock-summary-path', (elements) =>
      elements.map((e) => e.textContent),
    );
    // The service's path, and the gateway's own GET /admin/stats.
    expect(paths).toEqual(['/admin/stats', '/users/me']);

    await page.click('.btn.authorize');
    await page.waitForSelector('#oauth_username');
    await page.type('#oauth_username', 'ana');
    await page.type('#oauth_password', 'correct horse');
    await page.click('.auth-btn-wrapper .btn.modal-btn.auth.authorize');
    const login = await waitFor(() => auth.received.find((r) => r.url === '/auth/login'), {
      description: 'the login form to reach the auth service',
    });
    expect(login.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(login.body).get('username')).toBe('ana');
    expect(new URLSearchParams(login.body).get('password')).toBe('correct horse');
    // Swagger UI shows "Logout" once it holds the token.
    await page.waitForFunction(
      "document.querySelector('.auth-btn-wrapper')?.textContent?.includes('Logout')",
      { timeout: 15_000 },
    );
    expect(problems).toEqual([]);
  }, 60_000);
});
