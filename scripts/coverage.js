#!/usr/bin/env node
// npm run test:coverage: the whole Jest suite with V8 coverage, plus the coverage of the child
// processes it starts (the CLI's tests run the built CLI), merged into one report per library and
// app. Fails when branch coverage of either library falls under 85 %.
//
// Jest sees only what runs in its own workers. The CLI's tests set NODE_V8_COVERAGE on the
// children they start (test/cli/cli-process.ts reads VSOA_CHILD_COVERAGE) and build the CLI with
// source maps; c8 maps that raw coverage back to apps/cli/src, and Istanbul merges it with Jest's.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative, resolve } = require('node:path');
const libCoverage = require('istanbul-lib-coverage');
const libReport = require('istanbul-lib-report');
const reports = require('istanbul-reports');

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, 'coverage');
const GROUPS = [['libs/vsoa-core', 85], ['libs/nestjs-vsoa', 85], ['apps/cli'], ['apps/bridge'], ['apps/demo'], ['apps/position']];

function run(args, env = process.env) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
  return result.status ?? 1;
}

const children = mkdtempSync(join(tmpdir(), 'vsoa-child-coverage-'));
rmSync(OUT, { recursive: true, force: true });
const sources = ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts', '!**/*.spec.ts'].map((glob) => `--collectCoverageFrom=${glob}`);
const jestStatus = run(
  [
    require.resolve('jest/bin/jest'),
    '--coverage',
    '--coverageProvider=v8',
    '--coverageReporters=json',
    `--coverageDirectory=${join(OUT, 'jest')}`,
    ...sources,
    ...process.argv.slice(2),
  ],
  { ...process.env, VSOA_CHILD_COVERAGE: children },
);

const c8Status = run([
  require.resolve('c8/bin/c8'),
  'report',
  `--temp-directory=${children}`,
  `--reports-dir=${join(OUT, 'children')}`,
  '--reporter=json',
  '--exclude-after-remap',
  '--include=apps/*/src/**',
  '--include=libs/*/src/**',
]);
rmSync(children, { recursive: true, force: true });
if (c8Status !== 0) process.exit(c8Status);

const map = libCoverage.createCoverageMap({});
for (const part of ['jest', 'children']) {
  map.merge(JSON.parse(readFileSync(join(OUT, part, 'coverage-final.json'), 'utf8')));
}
const context = libReport.createContext({ dir: join(OUT, 'html'), coverageMap: map, defaultSummarizer: 'nested' });
reports.create('html').execute(context);

const pct = (metric) => (metric.total === 0 ? '  -  ' : `${metric.pct.toFixed(1).padStart(5)}`);
let failed = false;
console.log(`\n${'coverage'.padEnd(20)} statements  branches  functions  lines`);
for (const [group, branchFloor] of GROUPS) {
  const summary = libCoverage.createCoverageSummary();
  for (const file of map.files()) {
    if (relative(ROOT, file).startsWith(`${group}/`)) summary.merge(map.fileCoverageFor(file).toSummary());
  }
  const low = branchFloor !== undefined && summary.branches.pct < branchFloor;
  failed ||= low;
  const floor = branchFloor === undefined ? '' : low ? `  under ${branchFloor} % branches` : `  (floor ${branchFloor} %)`;
  console.log(
    `${group.padEnd(20)} ${pct(summary.statements)} %    ${pct(summary.branches)} %   ${pct(summary.functions)} %   ${pct(summary.lines)} %${floor}`,
  );
}
console.log(`\nreport: ${relative(ROOT, join(OUT, 'html', 'index.html'))}`);
process.exit(jestStatus !== 0 ? jestStatus : failed ? 1 : 0);
