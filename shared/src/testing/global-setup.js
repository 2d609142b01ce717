// Finds the PostgreSQL and RabbitMQ the tests talk to, once per jest run:
// TEST_DATABASE_URL / TEST_AMQP_URL if set, else localhost if it answers,
// else containers started by testcontainers where a Docker engine exists, else one clear error.
const net = require('net');

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function startContainers() {
  let testcontainers;
  try {
    testcontainers = require('testcontainers');
  } catch {
    return false;
  }
  const { GenericContainer, Wait } = testcontainers;
  const pg = await new GenericContainer('postgres:17-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
    .start();
  const mq = await new GenericContainer('rabbitmq:4-management-alpine')
    .withExposedPorts(5672, 15672)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .start();
  process.env.TEST_DATABASE_URL = `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`;
  process.env.TEST_AMQP_URL = `amqp://guest:guest@${mq.getHost()}:${mq.getMappedPort(5672)}`;
  globalThis.__financeContainers = [pg, mq];
  return true;
}

module.exports = async () => {
  if (process.env.TEST_DATABASE_URL && process.env.TEST_AMQP_URL) return;
  const pgUp = await answers('127.0.0.1', 5432);
  const mqUp = await answers('127.0.0.1', 5672);
  if (pgUp && mqUp) {
    process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    process.env.TEST_AMQP_URL ??= 'amqp://guest:guest@127.0.0.1:5672';
    return;
  }
  try {
    if (await startContainers()) return;
  } catch (error) {
    console.error(`testcontainers could not start: ${error.message}`);
  }
  throw new Error(
    'Tests need PostgreSQL and RabbitMQ: set TEST_DATABASE_URL and TEST_AMQP_URL, start them on localhost ' +
      '(PostgreSQL :5432, RabbitMQ :5672), or run a Docker engine for testcontainers.',
  );
};
