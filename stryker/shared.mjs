// What the two mutation runs (core, Nest library) share: Jest as the runner, per-test coverage
// so a mutant runs only the tests that reach it, the TypeScript checker to drop mutants that
// do not compile, and incremental mode so a re-run after a small change redoes only that change.
export function mutationConfig(lib, thresholds, tests) {
  return {
    packageManager: 'npm',
    testRunner: 'jest',
    jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', config: { testMatch: tests }, enableFindRelatedTests: false },
    coverageAnalysis: 'perTest',
    checkers: ['typescript'],
    // @swc/jest strips types without checking them: no need for Stryker's @ts-nocheck headers.
    disableTypeChecks: false,
    tsconfigFile: `libs/${lib}/tsconfig.lib.json`,
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    mutate: [`libs/${lib}/src/**/*.ts`, '!**/*.spec.ts', '!**/index.ts'],
    ignorePatterns: ['dist', 'coverage', 'reports', 'docs/api', 'test/packaging/app', '.stryker-tmp'],
    incremental: true,
    incrementalFile: `stryker/${lib}.incremental.json`,
    reporters: ['html', 'clear-text', 'progress', 'json'],
    htmlReporter: { fileName: `reports/mutation/${lib}.html` },
    jsonReporter: { fileName: `reports/mutation/${lib}.json` },
    thresholds,
    // Stryker gives half of these to TypeScript checkers, idle once every mutant is checked: this
    // leaves two test runners, one per core.
    concurrency: 4,
    // Above the 3 s a test gets in jest.mutation.config.js: see there.
    timeoutMS: 6000,
    tempDirName: `.stryker-tmp/${lib}`,
    cleanTempDir: true,
  };
}
