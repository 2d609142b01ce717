// One jest setup for every workspace: swc transpiles TypeScript (decorators included),
// @finance/shared resolves to its source so tests never need a build first.
const path = require('path');

module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: {
    '^@finance/shared$': path.join(__dirname, 'shared/src'),
    '^@finance/shared/(.*)$': path.join(__dirname, 'shared/src/$1'),
  },
  globalSetup: path.join(__dirname, 'shared/src/testing/global-setup.js'),
});
