module.exports = {
  projects: ['<rootDir>/shared', '<rootDir>/services/*'],
  // Two cores: more workers than that only adds contention with PostgreSQL and RabbitMQ.
  maxWorkers: process.env.JEST_WORKERS ?? 2,
};
