/**
 * The benchmark driver: runs every scenario for our library, the official `vsoa` package, a raw
 * socket ceiling and the Nest layer (VsoaServerStrategy + ClientVsoa against Nest's TCP
 * transport), each side in its own process on 127.0.0.1, alternating implementations run by run,
 * and prints medians and ratios. `--quick` for a short smoke run; `--runs N`; `--only a,b` for
 * some implementations; `--filter REGEX` for some scenarios.
 */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { ChildMessage, Impl, Measurement, Scenario, scenariosFor, Timing } from './scenarios';
import { formatRatio, formatValue, median, table } from './stats';

const ALL: Impl[] = ['ours', 'official', 'raw', 'nest-vsoa', 'nest-tcp'];

interface Options {
  quick: boolean;
  runs: number;
  impls: Impl[];
  /** Only the scenarios whose id matches. */
  filter: RegExp | null;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const runsAt = argv.indexOf('--runs');
  const onlyAt = argv.indexOf('--only');
  const filterAt = argv.indexOf('--filter');
  return {
    filter: filterAt >= 0 ? new RegExp(argv[filterAt + 1]) : null,
    quick,
    runs: runsAt >= 0 ? Number(argv[runsAt + 1]) : quick ? 1 : 5,
    impls: onlyAt >= 0 ? (argv[onlyAt + 1].split(',') as Impl[]) : ALL,
  };
}

const SERVERS: Record<Impl, [script: string, args: string[]]> = {
  ours: ['servers/ours.js', []],
  official: ['servers/official.js', []],
  raw: ['servers/raw.js', []],
  'nest-vsoa': ['servers/nest.js', ['vsoa']],
  'nest-tcp': ['servers/nest.js', ['tcp']],
};

const CLIENTS: Record<Impl, string> = {
  ours: 'clients/ours.js',
  official: 'clients/official.js',
  raw: 'clients/raw.js',
  'nest-vsoa': 'clients/nest.js',
  'nest-tcp': 'clients/nest.js',
};

/** Waits for the next IPC message of `type` from `child`; rejects on an error message or exit. */
function next<T extends ChildMessage['type']>(child: ChildProcess, type: T, ms: number): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no '${type}' from ${child.spawnfile} within ${ms} ms`)), ms);
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'error') finish(new Error(message.message));
      else if (message.type === type) finish(undefined, message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (code: number | null): void => finish(new Error(`${child.spawnfile} exited (${code}) before '${type}'`));
    const finish = (error?: Error, message?: Extract<ChildMessage, { type: T }>): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface RunResult {
  measurements: Measurement[];
  serverRss: number;
  clientRss: number;
}

/** Runs one implementation's scenarios once: a server process and a client process. */
async function runImpl(impl: Impl, scenarios: Scenario[], timing: Timing): Promise<RunResult> {
  const [serverScript, serverArgs] = SERVERS[impl];
  const server = fork(join(__dirname, serverScript), serverArgs, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const { port } = await next(server, 'ready', 30_000);
    const job = {
      url: `vsoa://127.0.0.1:${port}`,
      port,
      scenarios,
      timing,
      transport: impl === 'nest-tcp' ? 'tcp' : 'vsoa',
    };
    const client = fork(join(__dirname, CLIENTS[impl]), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_JOB: JSON.stringify(job) },
    });
    const measurements: Measurement[] = [];
    client.on('message', (message: ChildMessage) => {
      if (message.type === 'result') measurements.push(message.measurement);
    });
    try {
      const { maxRss: clientRss } = await next(client, 'done', 30 * 60_000);
      server.send({ type: 'stats' });
      const { maxRss: serverRss } = await next(server, 'done', 10_000);
      return { measurements, serverRss, clientRss };
    } finally {
      client.kill('SIGKILL');
    }
  } finally {
    server.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const timing: Timing = options.quick ? { warmup: 100, measure: 300 } : { warmup: 300, measure: 1500 };
  const values = new Map<Impl, Map<string, { unit: string; values: number[]; extra: string[] }>>();
  const rss = new Map<Impl, { server: number; client: number }>();
  const started = Date.now();
  console.log(`bench: ${options.runs} run(s), ${options.quick ? 'quick' : 'full'}; Node ${process.version}, ${cpus().length} cores`);
  for (let run = 1; run <= options.runs; run++) {
    for (const impl of options.impls) {
      process.stderr.write(`run ${run}/${options.runs}: ${impl} … `);
      const scenarios = scenariosFor(impl, options.quick).filter((s) => !options.filter || options.filter.test(s.id));
      if (scenarios.length === 0) {
        process.stderr.write('nothing to run\n');
        continue;
      }
      const result = await runImpl(impl, scenarios, timing);
      process.stderr.write('done\n');
      const byId = values.get(impl) ?? new Map();
      values.set(impl, byId);
      for (const m of result.measurements) {
        const entry = byId.get(m.id) ?? { unit: m.unit, values: [], extra: [] };
        entry.values.push(m.value);
        if (m.extra) entry.extra.push(m.extra);
        byId.set(m.id, entry);
      }
      const peak = rss.get(impl) ?? { server: 0, client: 0 };
      rss.set(impl, { server: Math.max(peak.server, result.serverRss), client: Math.max(peak.client, result.clientRss) });
    }
  }
  const med = (impl: Impl, id: string): number => median(values.get(impl)?.get(id)?.values ?? []);
  const unitOf = (impl: Impl, id: string): string => values.get(impl)?.get(id)?.unit ?? '';
  const extraOf = (impl: Impl, id: string): string => values.get(impl)?.get(id)?.extra.at(-1) ?? '';

  const ids = [...(values.get('ours')?.keys() ?? values.get('official')?.keys() ?? [])];
  console.log('\nvsoa-core against the official package (medians; higher is better, except rss)\n');
  console.log(
    table(
      ['scenario', 'ours', 'official', 'ours/official', 'raw socket', 'ours/raw', 'note'],
      ids.map((id) => [
        id,
        formatValue(med('ours', id), unitOf('ours', id)),
        formatValue(med('official', id), unitOf('official', id)),
        unitOf('ours', id) === 'rss ratio' ? '' : formatRatio(med('ours', id), med('official', id)),
        formatValue(med('raw', id), unitOf('raw', id)),
        formatRatio(med('ours', id), med('raw', id)),
        [extraOf('ours', id) && `ours ${extraOf('ours', id)}`, extraOf('official', id) && `official ${extraOf('official', id)}`]
          .filter(Boolean)
          .join('; '),
      ]),
    ),
  );
  const nestIds = [...(values.get('nest-vsoa')?.keys() ?? [])];
  if (nestIds.length > 0) {
    console.log('\nNest layer: VsoaServerStrategy + ClientVsoa against Nest TCP transport\n');
    console.log(
      table(
        ['scenario', 'nest-vsoa', 'nest-tcp', 'vsoa/tcp'],
        nestIds.map((id) => [
          id,
          formatValue(med('nest-vsoa', id), 'calls/s'),
          formatValue(med('nest-tcp', id), 'calls/s'),
          formatRatio(med('nest-vsoa', id), med('nest-tcp', id)),
        ]),
      ),
    );
  }
  console.log('\npeak RSS (MiB)\n');
  console.log(
    table(
      ['impl', 'server', 'client'],
      [...rss.entries()].map(([impl, r]) => [impl, (r.server / 1024 / 1024).toFixed(0), (r.client / 1024 / 1024).toFixed(0)]),
    ),
  );
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});
