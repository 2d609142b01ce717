#!/usr/bin/env node
// Operator tool for dead-lettered events. Needs the compiled shared package: run `npm run build` first.
//   npm run dlq -- list <service> [--limit N]          what waits in <service>.events.dlq (left in place)
//   npm run dlq -- inspect <service> [n]               the n-th dead letter (default 1) in full: headers and body
//   npm run dlq -- replay <service> --id <eventId>     move that one back to <service>.events
//   npm run dlq -- replay <service> --all              move all of them back
// AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) names the broker.
const path = require('path');

let events;
try {
  events = require(path.join(__dirname, '..', 'shared', 'dist', 'events'));
} catch (error) {
  console.error(`cannot load shared/dist/events (${error.message}); run \`npm run build\` first`);
  process.exit(1);
}
const pino = require('pino');

const usage = `usage:
  npm run dlq -- list <service> [--limit N]
  npm run dlq -- inspect <service> [n]
  npm run dlq -- replay <service> (--id <eventId> | --all)`;

function option(args, name) {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main() {
  const [command, service, ...rest] = process.argv.slice(2);
  if (!command || !service || !['list', 'inspect', 'replay'].includes(command)) {
    console.error(usage);
    return 2;
  }
  const broker = new events.Broker({
    url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    connectionName: `dlq-tool-${process.pid}`,
    maxReconnectDelayMs: 2_000,
  });
  const giveUp = setTimeout(() => {
    console.error('broker not reachable (check AMQP_URL)');
    process.exit(1);
  }, 15_000);
  await broker.start();
  clearTimeout(giveUp);
  try {
    if (command === 'list') {
      const letters = await events.listDeadLetters(broker, service, Number(option(rest, '--limit') ?? 100));
      if (letters.length === 0) console.log(`${service}.events.dlq is empty`);
      letters.forEach((letter, index) =>
        console.log(
          [
            index + 1,
            letter.eventId ?? '-',
            letter.type ?? '-',
            `attempts=${letter.attempts ?? '-'}`,
            letter.deadLetteredAt ?? '-',
            letter.lastError ?? letter.reason ?? '-',
          ].join('\t'),
        ),
      );
    } else if (command === 'inspect') {
      const position = Number(rest[0] ?? 1);
      if (!Number.isInteger(position) || position < 1) {
        console.error('n must be a positive integer');
        return 2;
      }
      const letters = await events.listDeadLetters(broker, service, position);
      const letter = letters[position - 1];
      if (!letter) {
        console.error(`no dead letter #${position} in ${service}.events.dlq (it holds ${letters.length})`);
        return 1;
      }
      let body = letter.body;
      try {
        body = JSON.parse(letter.body);
      } catch {
        // not JSON: show it as text
      }
      console.log(JSON.stringify({ ...letter, body }, null, 2));
    } else {
      const id = option(rest, '--id');
      const all = rest.includes('--all');
      if (!id === !all) {
        console.error('replay needs exactly one of --id <eventId> or --all');
        return 2;
      }
      const replayed = await events.replayDeadLetters(broker, service, all ? { all: true } : { eventId: id });
      if (!all && replayed.length === 0) {
        console.error(`no dead letter with event id ${id} in ${service}.events.dlq`);
        return 1;
      }
      console.log(`replayed ${replayed.length} message(s) to ${service}.events`);
    }
    return 0;
  } finally {
    await broker.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error.code === 404) console.error(`no such queue (is the service name right?): ${error.message}`);
    else console.error(error.message);
    process.exit(1);
  },
);
