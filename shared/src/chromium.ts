import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { z } from 'zod';
import { configFields } from './config';

/**
 * THE way a Finance Tracker process finds a headless Chromium (reports' PDFs, the PDF bench, the
 * gateway's Swagger-UI browser test), in this order:
 *   1. an explicit path: CHROMIUM_PATH, else PUPPETEER_EXECUTABLE_PATH. One that does not exist is an
 *      error saying so, never a silent fallback to another browser;
 *   2. the machine's Chromium or Chrome (`chromium`, `chromium-browser`, `google-chrome`… on PATH);
 *   3. the Chromium shipped inside an npm package (BUNDLED_CHROMIUM_PACKAGE: the binary is in the
 *      package's tarball, so `npm ci` brings it and nothing is downloaded at install or run time),
 *      unless CHROMIUM_BUNDLED=false. The Docker images set CHROMIUM_PATH to Debian's chromium.
 * Nothing here imports a browser library: the npm package is looked up only when step 3 is reached.
 */

/** The npm package whose tarball holds a Chromium build (Linux x64, chrome-headless-shell). */
export const BUNDLED_CHROMIUM_PACKAGE = '@sparticuz/chromium';

/** The environment variables of the browser choice, as zod fields for a service's config schema. */
export const chromiumConfigFields = {
  /** An explicit Chromium/Chrome executable; empty means unset. */
  CHROMIUM_PATH: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** puppeteer's own name for the same thing, honoured when CHROMIUM_PATH is unset. */
  PUPPETEER_EXECUTABLE_PATH: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** false: never use the npm-packaged Chromium (then a configured or system one is required). */
  CHROMIUM_BUNDLED: configFields.boolean(true),
};

export interface ChromiumSettings {
  /** The explicit executable and the variable that named it (errors name the variable). */
  explicit?: { variable: string; path: string };
  /** Whether the npm-packaged Chromium may be used. */
  allowBundled: boolean;
}

type ChromiumConfig = z.output<z.ZodObject<typeof chromiumConfigFields>>;

/** Settings from already-validated config values (a service's config includes {@link chromiumConfigFields}). */
export function chromiumSettings(config: ChromiumConfig): ChromiumSettings {
  const explicit = config.CHROMIUM_PATH
    ? { variable: 'CHROMIUM_PATH', path: config.CHROMIUM_PATH }
    : config.PUPPETEER_EXECUTABLE_PATH
      ? { variable: 'PUPPETEER_EXECUTABLE_PATH', path: config.PUPPETEER_EXECUTABLE_PATH }
      : undefined;
  return { explicit, allowBundled: config.CHROMIUM_BUNDLED };
}

/** Settings straight from the environment (tests, bench); a bad CHROMIUM_BUNDLED throws naming it. */
export function chromiumSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ChromiumSettings {
  const parsed = z.object(chromiumConfigFields).safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Configuration error: ${issue.path.join('.')} is invalid (${issue.message})`);
  }
  return chromiumSettings(parsed.data);
}

export type ChromiumSource = 'configured' | 'system' | 'bundled';

export interface ResolvedChromium {
  executablePath: string;
  source: ChromiumSource;
  /** For logs: which browser this is and where it came from. */
  description: string;
  /** Extra environment for the browser process (the bundled one's fonts). */
  env: Record<string, string>;
}

/** No browser can be had; `message` names the missing piece and `fix` says what to do, each one line. */
export class ChromiumUnavailableError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ChromiumUnavailableError';
  }
}

/** Executable names of a system Chromium/Chrome, looked for on PATH in this order. */
export const SYSTEM_CHROMIUM_NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'chrome',
];
/** Where macOS keeps them (not on PATH). */
const MACOS_APPLICATIONS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export interface ResolveChromiumOptions {
  /** Replaces the PATH search and the macOS locations (tests). */
  systemCandidates?: string[];
  /** Directories from which the npm package is resolved (default: this module's, then the working directory). */
  resolveFrom?: string[];
  /** Where the npm-packaged binary is unpacked (default: a private folder in the OS temp dir). */
  cacheDir?: string;
}

export async function resolveChromium(
  settings: ChromiumSettings,
  options: ResolveChromiumOptions = {},
): Promise<ResolvedChromium> {
  if (settings.explicit) {
    const { variable, path } = settings.explicit;
    const problem = notExecutable(path);
    if (problem)
      throw new ChromiumUnavailableError(
        `${variable} is ${path}, which ${problem}`,
        `point ${variable} at a Chromium or Chrome executable, or unset it to use the machine's or the npm-packaged one`,
      );
    return { executablePath: path, source: 'configured', description: `${variable}=${path}`, env: {} };
  }

  const system = (options.systemCandidates ?? systemCandidates()).find((path) => !notExecutable(path));
  if (system)
    return { executablePath: system, source: 'system', description: `system Chromium ${system}`, env: {} };

  const noSystem = `no system Chromium/Chrome (looked for ${SYSTEM_CHROMIUM_NAMES.join(', ')} on PATH)`;
  const installFix = 'apt-get install chromium, or set CHROMIUM_PATH to a Chromium or Chrome executable';
  if (!settings.allowBundled)
    throw new ChromiumUnavailableError(
      `${noSystem}, and the npm-packaged one is disabled (CHROMIUM_BUNDLED=false)`,
      `${installFix}, or remove CHROMIUM_BUNDLED=false`,
    );
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new ChromiumUnavailableError(
      `${noSystem}, and the npm-packaged one (${BUNDLED_CHROMIUM_PACKAGE}) runs on Linux x64 only, not ${process.platform} ${process.arch}`,
      installFix,
    );
  let entry: string;
  try {
    entry = require.resolve(BUNDLED_CHROMIUM_PACKAGE, {
      paths: options.resolveFrom ?? [__dirname, process.cwd()],
    });
  } catch {
    throw new ChromiumUnavailableError(
      `${noSystem}, and the npm package ${BUNDLED_CHROMIUM_PACKAGE} is not installed`,
      `run npm ci (it is an optional dependency of the services that render), or ${installFix}`,
    );
  }
  return unpackBundledChromium(entry, options.cacheDir ?? defaultCacheDir());
}

/** Why `path` cannot be launched, or undefined when it can. */
function notExecutable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'is not executable'
        : `cannot be used (${code})`;
  }
}

function systemCandidates(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const onPath = SYSTEM_CHROMIUM_NAMES.flatMap((name) => dirs.map((dir) => join(dir, name)));
  return process.platform === 'darwin' ? [...onPath, ...MACOS_APPLICATIONS] : onPath;
}

function defaultCacheDir(): string {
  // Per user: another account's folder in a shared /tmp is neither writable nor to be trusted.
  return join(tmpdir(), `finance-tracker-chromium-${process.getuid?.() ?? 'user'}`);
}

/** Name and version of the package that `entry` (its main file) belongs to. */
function packageOf(entry: string): { dir: string; version: string } {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      version?: string;
    };
    if (name === BUNDLED_CHROMIUM_PACKAGE && version) return { dir, version };
  }
  throw new Error(`no package.json of ${BUNDLED_CHROMIUM_PACKAGE} above ${entry}`);
}

const NO_SYSTEM = 'no system Chromium/Chrome';

/** Stagings left by a process killed mid-unpack are removed after this long. */
const STALE_STAGING_MS = 10 * 60_000;

/**
 * The package ships its browser brotli-compressed; its `executablePath()` unpacks it into the fixed
 * folder os.tmpdir()/chromium, in place, and reuses whatever is there — a half-written file while
 * another process (a second jest worker, another service) is still unpacking, or another version's
 * binary after an upgrade. So it runs in a child process whose TMPDIR is a fresh staging folder, and
 * the finished folder is renamed into a per-version place: atomic, so a binary seen is a whole one.
 */
async function unpackBundledChromium(entry: string, cacheDir: string): Promise<ResolvedChromium> {
  const { version } = packageOf(entry);
  const target = join(cacheDir, `${BUNDLED_CHROMIUM_PACKAGE.replace(/[@/]/g, '_')}-${version}`);
  const description = `${BUNDLED_CHROMIUM_PACKAGE} ${version} (npm package, unpacked in ${target})`;
  const resolved = (): ResolvedChromium => ({
    executablePath: join(target, 'chromium'),
    source: 'bundled',
    description,
    env: { FONTCONFIG_FILE: join(target, 'fonts.conf') },
  });
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await assertPrivate(cacheDir);
  if (existsSync(join(target, 'fonts.conf'))) return resolved();

  await removeStaleStagings(cacheDir);
  const staging = await mkdtemp(join(cacheDir, '.staging-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const script = `require(${JSON.stringify(entry)}).executablePath().then((p) => process.stdout.write(p))`;
      execFile(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, TMPDIR: staging }, timeout: 120_000, maxBuffer: 1 << 20 },
        (error, stdout, stderr) => {
          if (error)
            reject(
              new ChromiumUnavailableError(
                `${NO_SYSTEM}; unpacking ${BUNDLED_CHROMIUM_PACKAGE} into ${cacheDir} failed: ${(stderr || error.message).trim().split('\n')[0]}`,
                'give the temp folder (TMPDIR) ~250 MB free and write access, or set CHROMIUM_PATH to an installed Chromium',
              ),
            );
          else if (stdout !== join(staging, 'chromium'))
            reject(new Error(`${BUNDLED_CHROMIUM_PACKAGE} unpacked to ${stdout}, not into ${staging}`));
          else resolve();
        },
      );
    });
    // The package's own fonts.conf lists /tmp/fonts; ours keeps the machine's fonts and adds the
    // package's (Open Sans), so text renders on a machine with no font package at all.
    await writeFile(join(staging, 'fonts.conf'), fontConfig(target));
    try {
      await rename(staging, target);
    } catch (error) {
      // Another process finished first: its folder is as good as ours.
      if (!existsSync(join(target, 'fonts.conf'))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return resolved();
}

function fontConfig(target: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(target, 'fonts')}</dir>
  <cachedir>${join(target, 'fontconfig-cache')}</cachedir>
</fontconfig>
`;
}

/** The cache folder must be ours and closed to others: we execute what is in it. */
async function assertPrivate(dir: string): Promise<void> {
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0)
    throw new ChromiumUnavailableError(
      `${NO_SYSTEM}; the folder for the npm-packaged one, ${dir}, is not private to this user`,
      'remove that folder (it only holds the unpacked npm Chromium), or set CHROMIUM_PATH to an installed Chromium',
    );
}

async function removeStaleStagings(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith('.staging-')) continue;
    const path = join(cacheDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_STAGING_MS)
      await rm(path, { recursive: true, force: true });
  }
}
