// No install ever downloads a browser: reports uses Debian's chromium (/usr/bin/chromium).
module.exports = { skipDownload: true };
