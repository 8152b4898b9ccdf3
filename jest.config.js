const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // The tests mostly wait on sockets, timers and child processes, not on the CPU: twice as many
  // workers as cores (Jest's default is one fewer than the cores) keeps the suite under a minute
  // on two cores. Capped so a big machine does not start dozens of servers at once.
  maxWorkers: Math.min(8, 2 * availableParallelism()),
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/test', '<rootDir>/apps'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // The packaging test's app runs its own tests, in its own install (npm run test:packaging).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/packaging/app/'],
  transform: {
    '^.+\\.(t|j)s$': [
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
  // Nest 12 ships ESM; let the transform reach it.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: {
    '^@vsoa/core$': '<rootDir>/libs/vsoa-core/src',
    '^@vsoa/core/(.*)$': '<rootDir>/libs/vsoa-core/src/$1',
    '^@vsoa/nestjs$': '<rootDir>/libs/nestjs-vsoa/src',
    '^@vsoa/nestjs/(.*)$': '<rootDir>/libs/nestjs-vsoa/src/$1',
  },
  testTimeout: 20000,
};
