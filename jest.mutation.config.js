// The tests StrykerJS runs against each mutant of the libraries: everything that loads the
// libraries' sources in-process. Left out are the tests that run built output in child
// processes (the CLI, the packed packages), which a mutant of the sources cannot reach, the
// docs' type-check, and the apps' own tests.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/libs', '<rootDir>/test', '<rootDir>/apps/position'],
  // A mutant that breaks the protocol leaves callers waiting: give up on a test sooner than the
  // suite's 20 s, so such a mutant costs seconds, not minutes. Stryker's own time-out (timeoutMS in
  // stryker/shared.mjs) is longer, so a hanging test fails here (killed) instead of Stryker
  // restarting the whole runner (a time-out).
  testTimeout: 3000,
  testPathIgnorePatterns: [
    ...base.testPathIgnorePatterns,
    '<rootDir>/test/cli/',
    '<rootDir>/test/docs/',
    '<rootDir>/test/bridge/',
    '<rootDir>/test/demo/',
  ],
};
