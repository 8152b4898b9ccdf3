#!/usr/bin/env node
// npm run test:mutation:summary: turns the JSON reports of the last mutation runs
// (reports/mutation/<lib>.json) into docs/mutation-report.md, a reviewable page: the score of each
// library and file, and every mutant still alive with its place and change. The HTML reports next
// to the JSON ones are the same results to browse locally.
'use strict';
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const LIBS = [
  ['vsoa-core', 'the protocol core (`libs/vsoa-core`)'],
  ['nestjs-vsoa', 'the Nest library (`libs/nestjs-vsoa`)'],
];
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Counts of a list of mutants, and its score (detected over detected plus undetected). */
function tally(mutants) {
  const count = (set) => mutants.filter((m) => set.has(m.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  const status = (name) => mutants.filter((m) => m.status === name).length;
  return {
    killed: status('Killed'),
    timeout: status('Timeout'),
    survived: status('Survived'),
    noCoverage: status('NoCoverage'),
    invalid: mutants.length - detected - undetected,
    score: detected + undetected === 0 ? null : (100 * detected) / (detected + undetected),
  };
}

const pct = (score) => (score === null ? '–' : `${score.toFixed(1)} %`);
const row = (name, t) => `| ${name} | ${pct(t.score)} | ${t.killed} | ${t.timeout} | ${t.survived} | ${t.noCoverage} | ${t.invalid} |`;
const HEADER = [
  '| file | score | killed | timed out | survived | no coverage | not run¹ |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];

const lines = [
  '# Mutation report',
  '',
  'Made by `npm run test:mutation:summary` from the last `npm run test:mutation`; see',
  '[testing.md](testing.md#mutation-testing-npm-run-testmutation) for what the numbers mean. The',
  'HTML reports (`reports/mutation/*.html`, not committed) show the same mutants in the code.',
  '',
];
const scores = [];
for (const [lib, title] of LIBS) {
  const file = join(ROOT, 'reports', 'mutation', `${lib}.json`);
  if (!existsSync(file)) {
    console.error(`no ${file}: run npm run test:mutation first`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
  const all = tally(files.flatMap(([, f]) => f.mutants));
  scores.push(`${lib} ${pct(all.score)}`);
  lines.push(`## ${title}: ${pct(all.score)}`, '', ...HEADER, row('**all**', all));
  for (const [path, f] of files) lines.push(row(`\`${path.replace(`libs/${lib}/src/`, '')}\``, tally(f.mutants)));
  lines.push('', '<details><summary>Mutants still alive</summary>', '');
  for (const [path, f] of files) {
    const alive = f.mutants.filter((m) => UNDETECTED.has(m.status)).sort((a, b) => a.location.start.line - b.location.start.line);
    if (alive.length === 0) continue;
    lines.push(`- \`${path}\``);
    for (const m of alive) {
      const change = JSON.stringify(m.replacement ?? '').slice(0, 80);
      lines.push(
        `  - ${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → \`${change.replace(/`/g, "'")}\`${m.status === 'NoCoverage' ? ' (no test reaches it)' : ''}`,
      );
    }
  }
  lines.push('', '</details>', '');
}
lines.push(
  '¹ Mutants that do not compile (dropped by the TypeScript checker), static ones skipped by `--ignoreStatic`, or ones that broke the test run itself.',
  '',
);
writeFileSync(join(ROOT, 'docs', 'mutation-report.md'), lines.join('\n'));
console.log(`docs/mutation-report.md: ${scores.join(', ')}`);
