import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ChromiumUnavailableError,
  chromiumSettingsFromEnv,
  resolveChromium,
  type ChromiumSettings,
} from '../src/chromium';

const run = promisify(execFile);
/** The services that render declare the npm browser; resolve it from one of them, as they do. */
const reportsDir = join(__dirname, '../../services/reports');

describe('resolveChromium', () => {
  let dir: string;
  let executable: string;
  let notExecutable: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chromium-test-'));
    executable = join(dir, 'chrome');
    writeFileSync(executable, '#!/bin/sh\n');
    chmodSync(executable, 0o755);
    notExecutable = join(dir, 'plain-file');
    writeFileSync(notExecutable, '');
    chmodSync(notExecutable, 0o644);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rejection = async (settings: ChromiumSettings, systemCandidates: string[] = []) => {
    const error = await resolveChromium(settings, { systemCandidates, resolveFrom: [reportsDir] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChromiumUnavailableError);
    return error as ChromiumUnavailableError;
  };

  it('takes CHROMIUM_PATH first, then PUPPETEER_EXECUTABLE_PATH; empty means unset', () => {
    expect(chromiumSettingsFromEnv({ CHROMIUM_PATH: '/a', PUPPETEER_EXECUTABLE_PATH: '/b' })).toEqual({
      explicit: { variable: 'CHROMIUM_PATH', path: '/a' },
      allowBundled: true,
    });
    expect(chromiumSettingsFromEnv({ CHROMIUM_PATH: '', PUPPETEER_EXECUTABLE_PATH: '/b' })).toEqual({
      explicit: { variable: 'PUPPETEER_EXECUTABLE_PATH', path: '/b' },
      allowBundled: true,
    });
    expect(chromiumSettingsFromEnv({ CHROMIUM_BUNDLED: 'false' })).toEqual({ allowBundled: false });
    expect(() => chromiumSettingsFromEnv({ CHROMIUM_BUNDLED: 'maybe' })).toThrow(
      /CHROMIUM_BUNDLED is invalid/,
    );
  });

  it('uses an explicit path that exists, before any system browser', async () => {
    const resolved = await resolveChromium(
      { explicit: { variable: 'CHROMIUM_PATH', path: executable }, allowBundled: true },
      { systemCandidates: ['/usr/bin/true'] },
    );
    expect(resolved).toMatchObject({ executablePath: executable, source: 'configured', env: {} });
  });

  it('refuses an explicit path that does not exist or cannot run, naming it, with no fall-back', async () => {
    const missing = await rejection(
      { explicit: { variable: 'PUPPETEER_EXECUTABLE_PATH', path: '/nonexistent' }, allowBundled: true },
      [executable],
    );
    expect(missing.message).toBe('PUPPETEER_EXECUTABLE_PATH is /nonexistent, which does not exist');
    expect(missing.fix).toMatch(/point PUPPETEER_EXECUTABLE_PATH at a Chromium/);
    const plain = await rejection({
      explicit: { variable: 'CHROMIUM_PATH', path: notExecutable },
      allowBundled: true,
    });
    expect(plain.message).toBe(`CHROMIUM_PATH is ${notExecutable}, which is not executable`);
    const folder = await rejection({
      explicit: { variable: 'CHROMIUM_PATH', path: dir },
      allowBundled: true,
    });
    expect(folder.message).toBe(`CHROMIUM_PATH is ${dir}, which is not a file`);
  });

  it('takes the first system browser that can run', async () => {
    const resolved = await resolveChromium(
      { allowBundled: true },
      { systemCandidates: [join(dir, 'absent'), notExecutable, executable] },
    );
    expect(resolved).toMatchObject({ executablePath: executable, source: 'system' });
  });

  it('with no system browser and the npm one disabled, says what is missing and the fix', async () => {
    const error = await rejection({ allowBundled: false });
    expect(error.message).toMatch(/^no system Chromium\/Chrome \(looked for chromium, chromium-browser/);
    expect(error.message).toMatch(/the npm-packaged one is disabled \(CHROMIUM_BUNDLED=false\)$/);
    expect(error.fix).toMatch(/apt-get install chromium/);
  });

  it('says so when the npm package is not installed where the caller looks', async () => {
    const error = await resolveChromium(
      { allowBundled: true },
      { systemCandidates: [], resolveFrom: [dir] },
    ).then(
      () => undefined,
      (e: unknown) => e as ChromiumUnavailableError,
    );
    expect(error?.message).toMatch(/the npm package @sparticuz\/chromium is not installed$/);
    expect(error?.fix).toMatch(/^run npm ci/);
  });

  it('refuses a cache folder that others may write into (it holds what we execute)', async () => {
    const shared = join(dir, 'world-writable');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    await expect(
      resolveChromium(
        { allowBundled: true },
        { systemCandidates: [], resolveFrom: [reportsDir], cacheDir: shared },
      ),
    ).rejects.toThrow(/is not private to this user$/);
  });

  it('unpacks the npm-packaged Chromium once, whole, even when several processes ask at once', async () => {
    const cacheDir = join(dir, 'cache');
    const options = { systemCandidates: [], resolveFrom: [reportsDir], cacheDir };
    const all = await Promise.all([1, 2, 3].map(() => resolveChromium({ allowBundled: true }, options)));
    const [first] = all;
    expect(new Set(all.map((r) => r.executablePath)).size).toBe(1);
    expect(first.source).toBe('bundled');
    expect(first.description).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+ \(npm package/);
    // A whole binary: it runs and says what it is.
    const { stdout } = await run(first.executablePath, ['--version']);
    expect(stdout).toMatch(/^Chromium \d+\./);
    // Its fonts are offered to the browser next to the machine's.
    const fontsConf = readFileSync(first.env.FONTCONFIG_FILE, 'utf8');
    expect(fontsConf).toContain('<include ignore_missing="yes">/etc/fonts/fonts.conf</include>');
    const fontsDir = /<dir>([^<]+)<\/dir>/.exec(fontsConf)?.[1] ?? '';
    expect(readdirSync(fontsDir, { recursive: true })).toContainEqual(
      expect.stringMatching(/OpenSans-Regular\.ttf$/),
    );
    // The losers' stagings are gone; a later call takes the unpacked one as it is.
    expect(readdirSync(cacheDir).filter((name) => name.startsWith('.staging-'))).toEqual([]);
    expect(await resolveChromium({ allowBundled: true }, options)).toEqual(first);
  });
});
