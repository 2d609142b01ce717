// Installs the dependencies when a clone has none yet: shared by `npm start` and `npm test`
// (its `pretest`), so on a fresh machine either command is the whole set-up. Node built-ins only:
// it runs before anything is installed.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');

/** npm writes node_modules/.package-lock.json last: without it an earlier install did not finish. */
function isInstalled() {
  return fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'));
}

/**
 * `npm ci` when nothing is installed; returns false (having printed why) when it failed.
 * Nothing downloads a browser: PDFs use a system Chromium or the one inside an npm package.
 */
function ensureInstalled(say = (message) => process.stdout.write(`[install] ${message}\n`)) {
  if (isInstalled()) return true;
  say('dependencies are not installed: running npm ci');
  const env = process.env;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const started = Date.now();
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['inherit', 'inherit', 'pipe'],
    env,
  });
  const errors = String(result.stderr ?? '');
  process.stderr.write(errors);
  if (result.status === 0) {
    say(`npm ci done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  }
  // npm 11's `npm ci` rejects a lockfile without other platforms' optional binaries, which is what
  // npm 11's `npm install` writes (npm/cli#8320); npm 10 installs from the same lockfile.
  if (/Missing: .* from lock file/.test(errors)) {
    say('npm ci rejected the lockfile over optional platform binaries: retrying with npm 10');
    const retry = spawnSync(npm, ['exec', '--yes', '--', 'npm@10', 'ci', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: 'inherit',
      env,
    });
    if (retry.status === 0) return true;
  }
  process.stderr.write(`[install] npm ci failed (exit ${result.status}); see the output above.\n`);
  return false;
}

module.exports = { ensureInstalled, isInstalled };

// `node scripts/lib/install.js` (the `pretest` script): install if needed, or fail.
if (require.main === module) process.exit(ensureInstalled() ? 0 : 1);
