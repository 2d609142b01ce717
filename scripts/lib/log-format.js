// Turns a service's pino JSON line into one readable line for the terminal:
// `12:00:01.123 INFO  listening  port=3001`. Lines that are not pino JSON pass through unchanged.
'use strict';

const useColour = process.env.NO_COLOR
  ? false
  : process.env.FORCE_COLOR
    ? process.env.FORCE_COLOR !== '0'
    : Boolean(process.stdout.isTTY);

const codes = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  grey: 90,
  bold: 1,
  brightGreen: 92,
  brightBlue: 94,
  brightMagenta: 95,
};

/** Colours for the per-service prefixes, in start order. */
const colours = ['green', 'blue', 'magenta', 'yellow', 'cyan', 'brightGreen', 'brightBlue', 'brightMagenta'];

function paint(colour, text) {
  return useColour ? `\u001b[${codes[colour]}m${text}\u001b[0m` : text;
}

const levelColours = {
  trace: 'grey',
  debug: 'grey',
  info: 'green',
  warn: 'yellow',
  error: 'red',
  fatal: 'red',
};
const numericLevels = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

// Fields every line carries, or that the prefix already says.
const hidden = new Set(['level', 'time', 'msg', 'service', 'name', 'pid', 'hostname', 'v', 'err']);

function scalar(value) {
  if (value === null || typeof value !== 'object') return String(value);
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatLogLine(text) {
  if (!text.startsWith('{')) return text;
  let entry;
  try {
    entry = JSON.parse(text);
  } catch {
    return text;
  }
  if (!entry || typeof entry !== 'object' || !('level' in entry)) return text;
  const level =
    typeof entry.level === 'number'
      ? (numericLevels[entry.level] ?? String(entry.level))
      : String(entry.level);
  const time =
    typeof entry.time === 'string'
      ? entry.time.slice(11, 23)
      : new Date(entry.time ?? Date.now()).toISOString().slice(11, 23);
  const extras = Object.entries(entry)
    .filter(([key, value]) => !hidden.has(key) && value !== undefined)
    .map(([key, value]) => `${paint('grey', `${key}=`)}${scalar(value)}`)
    .join(' ');
  let line = `${paint('grey', time)} ${paint(levelColours[level] ?? 'bold', level.toUpperCase().padEnd(5))} ${entry.msg ?? ''}`;
  if (extras) line += `  ${extras}`;
  const err = entry.err;
  if (err && typeof err === 'object') {
    line += `\n    ${paint('red', err.stack || `${err.type ?? 'Error'}: ${err.message ?? scalar(err)}`)}`;
  }
  return line;
}

module.exports = { formatLogLine, paint, colours };
