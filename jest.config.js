// Jest runs TypeScript through swc; agenda and its Postgres backend are ESM-only, so they are transformed too.
const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(agenda|@agendajs)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  // Two files at a time even on two cores (Jest's default there is one): most of a file's time is spent waiting on
  // PostgreSQL, child processes and the emulators, so the suite takes about 60% of the time it takes serially.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  // agenda leaves a timer behind for every job run it finished (its lock check sleeps half the lock lifetime and
  // is never cleared), so a test file that ran a job would keep its worker alive for minutes. Run
  // \`npx jest --detectOpenHandles\` to look for leaks of our own.
  forceExit: true,
};
