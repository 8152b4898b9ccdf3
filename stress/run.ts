/**
 * The stress driver. Runs each case against a server in its own process and prints one line per
 * case, then a summary; exits non-zero when a case fails.
 *
 *   node dist/stress/run.js [--smoke] [--target ours|official] [--compare] [--only id,id]
 */
import type { CaseContext, CaseOutcome, StressCase } from './lib/case';
import type { ServerConfig, Target } from './lib/ipc';
import { CaseResult, passed, printComparison, printResult, printSummary } from './lib/report';
import { describeExit, ServerProcess } from './lib/server-process';
import { since, within } from './lib/time';
import { CASES } from './cases';

interface Options {
  smoke: boolean;
  targets: Target[];
  compare: boolean;
  only: string[] | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { smoke: false, targets: ['ours'], compare: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--compare') options.compare = true;
    else if (arg === '--target') options.targets = [parseTarget(argv[++i])];
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',');
    else throw new Error(`unknown argument ${arg}; usage: run.js [--smoke] [--target ours|official] [--compare] [--only id,id]`);
  }
  if (options.compare) options.targets = ['ours', 'official'];
  const unknown = options.only?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`);
  return options;
}

function parseTarget(value: string | undefined): Target {
  if (value === 'ours' || value === 'official') return value;
  throw new Error(`--target must be ours or official, got ${value}`);
}

/** What escaped a case's own handling (an 'error' nobody listened to, say): a failure of that case. */
const escaped: string[] = [];
process.on('uncaughtException', (error) => escaped.push(`uncaught in the driver: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) =>
  escaped.push(`unhandled rejection in the driver: ${String((reason as Error)?.stack ?? reason)}`),
);

async function runCase(stressCase: StressCase, target: Target, smoke: boolean): Promise<CaseResult> {
  const servers: ServerProcess[] = [];
  const title = stressCase.title(smoke);
  const ctx: CaseContext = {
    target,
    smoke,
    startServer: async (config: Partial<ServerConfig> = {}) => {
      const server = await ServerProcess.start(target, { host: '127.0.0.1', port: 0, ...config });
      servers.push(server);
      return server;
    },
    progress: (message) => process.stderr.write(`  … [${target}] ${stressCase.id}: ${message}\n`),
  };
  const start = performance.now();
  escaped.length = 0;
  let outcome: CaseOutcome;
  try {
    outcome = await within(stressCase.run(ctx), stressCase.timeout, `case ${stressCase.id}`);
  } catch (error) {
    outcome = { figure: 'did not finish', failures: [String((error as Error)?.message ?? error)], notes: [] };
  }
  for (const server of servers) {
    const died = server.exit !== null && !server.killed;
    if (server.exit && died) outcome.failures.push(`server (pid ${server.pid}) ${describeExit(server.exit)}`);
    await server.kill();
    const tail = died ? server.lastLog() : server.lastLog().slice(-1);
    if (server.logLines > 0) outcome.notes.push(`server log: ${server.logLines} lines; the last: ${tail.join(' / ')}`);
  }
  outcome.failures.push(...escaped.splice(0));
  return { id: stressCase.id, title, target, outcome, ms: since(start) };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const start = performance.now();
  const results: CaseResult[] = [];
  console.log(`stress (${options.smoke ? 'smoke' : 'full'}): Node ${process.version}, targets ${options.targets.join(' + ')}`);
  for (const stressCase of CASES) {
    if (options.only && !options.only.includes(stressCase.id)) continue;
    for (const target of options.targets) {
      if (!stressCase.targets.includes(target)) continue;
      const result = await runCase(stressCase, target, options.smoke);
      printResult(result);
      results.push(result);
    }
  }
  if (options.compare) printComparison(results);
  printSummary(results, since(start));
  process.exit(results.every(passed) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
