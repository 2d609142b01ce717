module.exports = {
  projects: ['<rootDir>/shared', '<rootDir>/services/*', '<rootDir>/e2e'],
  // Two cores: more workers than that only adds contention with PostgreSQL and RabbitMQ.
  maxWorkers: process.env.JEST_WORKERS ?? 2,
  // A global option: it has no effect inside the per-project preset.
  testTimeout: 60000,
};
