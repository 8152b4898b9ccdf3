/** Prints case results: one line each as they finish, then a summary or a side-by-side table. */
import type { CaseOutcome } from './case';
import type { Target } from './ipc';
import { secs } from './format';

export interface CaseResult {
  id: string;
  title: string;
  target: Target;
  outcome: CaseOutcome;
  ms: number;
}

export const passed = (result: CaseResult): boolean => result.outcome.failures.length === 0;

const verdict = (result: CaseResult): string => (passed(result) ? 'PASS' : 'FAIL');

/** One line per case (figure and verdict), its failures and notes indented below. */
export function printResult(result: CaseResult): void {
  console.log(`${verdict(result)}  [${result.target}] ${result.title}: ${result.outcome.figure} (${secs(result.ms)})`);
  for (const failure of result.outcome.failures) console.log(`        ✗ ${failure}`);
  for (const note of result.outcome.notes) console.log(`        · ${note}`);
}

export function printSummary(results: CaseResult[], ms: number): void {
  const failed = results.filter((r) => !passed(r));
  const list = failed.map((r) => `${r.id} [${r.target}]`).join(', ');
  console.log(
    `\n${results.length} case runs, ${results.length - failed.length} passed, ${failed.length} failed${list ? ` (${list})` : ''}; ${secs(ms)}`,
  );
}

/** A Markdown table: each case with our figure and verdict beside the official server's. */
export function printComparison(results: CaseResult[]): void {
  const cell = (r: CaseResult | undefined): string => (r ? `${verdict(r)}: ${r.outcome.figure}`.replace(/\|/g, '\\|') : 'n/a');
  const ids = [...new Set(results.map((r) => r.id))];
  console.log('\n| case | ours | official |');
  console.log('| --- | --- | --- |');
  for (const id of ids) {
    const ours = results.find((r) => r.id === id && r.target === 'ours');
    const official = results.find((r) => r.id === id && r.target === 'official');
    console.log(`| ${(ours ?? official)?.title ?? id} | ${cell(ours)} | ${cell(official)} |`);
  }
}
