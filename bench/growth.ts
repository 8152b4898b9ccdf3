/**
 * The growth benchmark: how server-side costs grow with work that has nothing to do with them —
 * connected clients, registered commands, another client's subscriptions — and the memory an idle
 * connection holds, for our VsoaServer and the official `vsoa` server. Every size runs in a fresh
 * server process; the clients (our VsoaClient, the same for both) run in other processes.
 * `--quick` for a smoke run (sizes up to 1000); `--runs N`; `--only ours|official`; `--filter
 * REGEX` on the measurement names (clients, commands, subscriptions, memory).
 */
import { cpus } from 'node:os';
import type { GrowthImpl } from './growth/messages';
import {
  callsVsCommands,
  clientsPerProcess,
  fdLimit,
  memoryPerClient,
  publishVsClients,
  publishVsSubscriptions,
} from './growth/measurements';
import { FULL, MEASUREMENTS, MeasurementName, QUICK } from './growth/plan';
import { Figures, report } from './growth/report';

const IMPLS: GrowthImpl[] = ['ours', 'official'];

interface Options {
  quick: boolean;
  runs: number;
  impls: GrowthImpl[];
  measurements: MeasurementName[];
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const runsAt = argv.indexOf('--runs');
  const onlyAt = argv.indexOf('--only');
  const filterAt = argv.indexOf('--filter');
  const filter = filterAt >= 0 ? new RegExp(argv[filterAt + 1]) : null;
  return {
    quick,
    runs: runsAt >= 0 ? Number(argv[runsAt + 1]) : quick ? 1 : 5,
    impls: onlyAt >= 0 ? (argv[onlyAt + 1].split(',') as GrowthImpl[]) : IMPLS,
    measurements: MEASUREMENTS.filter((m) => !filter || filter.test(m)),
  };
}

/** One size of one measurement, run for each implementation. */
interface Step {
  name: MeasurementName;
  size: number;
  measure: (impl: GrowthImpl) => Promise<void>;
}

function step(name: MeasurementName, size: number, measure: (impl: GrowthImpl) => Promise<void>): Step {
  return { name, size, measure };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sizes = options.quick ? QUICK : FULL;
  const figures = new Figures();
  const started = Date.now();
  console.log(
    `bench:growth: ${options.runs} run(s), ${options.quick ? 'quick' : 'full'}; Node ${process.version}, ${cpus().length} cores; ` +
      `open files ${fdLimit} (${clientsPerProcess} clients per client process); medians of the runs`,
  );
  const steps: Step[] = [
    ...sizes.clients.map((n) => step('clients', n, (impl) => publishVsClients(impl, n, sizes, figures))),
    ...sizes.commands.map((m) => step('commands', m, (impl) => callsVsCommands(impl, m, sizes, figures))),
    ...sizes.subscriptions.map((s) => step('subscriptions', s, (impl) => publishVsSubscriptions(impl, s, sizes, figures))),
    step('memory', sizes.idleClients, (impl) => memoryPerClient(impl, sizes.idleClients, figures)),
  ];
  for (let run = 1; run <= options.runs; run++) {
    for (const { name, size, measure } of steps.filter((s) => options.measurements.includes(s.name))) {
      // Implementations alternate size by size, so a noisy spell hits both.
      for (const impl of options.impls) {
        process.stderr.write(`run ${run}/${options.runs}: ${name} ${size} ${impl} … `);
        const t = Date.now();
        // A size that fails is noted in its table; the other sizes still run.
        await measure(impl).catch((error: Error) => figures.note(`${name}|${impl}|${size}|why`, `failed: ${error.message}`));
        process.stderr.write(`${figures.takeFresh()} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
      }
    }
  }
  report(figures, options.impls, options.measurements, sizes);
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: Error) => {
  console.error(`bench:growth failed: ${error.message}`);
  process.exit(1);
});
