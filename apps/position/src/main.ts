import { join } from 'node:path';
import { answerQuery, PositionServer } from '@vsoa/core';
import type { PositionTable } from '@vsoa/core';
import { loadPositionTable } from './position-table';

/** A running position service: reload the table (also on SIGHUP), close. */
export interface PositionApp {
  server: PositionServer;
  /** Re-reads the table; on error keeps the old one and rethrows. */
  reload(): PositionTable;
  close(): Promise<void>;
}

const DEFAULT_FILE = join(process.cwd(), 'positions.json');

/**
 * Starts a position server answering from a JSON table: `VSOA_POSITIONS` (inline JSON) or the
 * file `POSITION_FILE` (default ./positions.json), on `POSITION_HOST` (0.0.0.0) : `POSITION_PORT` (54).
 */
export async function startPositionApp(env: NodeJS.ProcessEnv = process.env): Promise<PositionApp> {
  let table = loadPositionTable(env, DEFAULT_FILE);
  const server = new PositionServer({ onquery: (query, reply) => reply(answerQuery(table, query)) });
  await server.listen({ host: env.POSITION_HOST ?? '0.0.0.0', port: Number(env.POSITION_PORT ?? 54) });
  return {
    server,
    reload: () => (table = loadPositionTable(env, DEFAULT_FILE)),
    close: () => server.close(),
  };
}

function describe(table: PositionTable): string {
  return [...table.values()]
    .flat()
    .map((e) => `  ${e.name} -> ${e.addr}:${e.port}${e.security ? ' (TLS)' : ''}`)
    .join('\n');
}

/** The part of `process` that delivers signals. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  once(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** What the running service touches of its process: kept apart so a test can stand in for it. */
export interface PositionHost {
  env: NodeJS.ProcessEnv;
  /** Where SIGHUP, SIGINT and SIGTERM arrive: the process, or an EventEmitter in a test. */
  signals: SignalSource;
  log(line: string): void;
  error(line: string): void;
  exit(code: number): void;
}

/**
 * The service as `npm run start:position` runs it: prints where it listens and its table,
 * reloads the table on SIGHUP (keeping the old one when the new one is bad), closes on SIGINT or
 * SIGTERM, and on a failed start says how to give it a table and exits 1.
 */
export async function runPositionApp(host: PositionHost): Promise<PositionApp | undefined> {
  let app: PositionApp;
  try {
    app = await startPositionApp(host.env);
  } catch (error) {
    host.error(`position server failed to start: ${(error as Error).message}`);
    host.error(
      'Give it a table: POSITION_FILE=apps/position/positions.example.json, or VSOA_POSITIONS=\'{"name":{"addr":"127.0.0.1","port":3005}}\'',
    );
    host.exit(1);
    return undefined;
  }
  const { address, port } = app.server.address()!;
  host.log(`VSOA position server on udp ${address}:${port}\n${describe(app.reload())}`);
  host.log(`Point clients at it: VSOA_POS_SERVER=${address === '0.0.0.0' ? '127.0.0.1' : address}:${port}`);
  host.signals.on('SIGHUP', () => {
    try {
      host.log(`table reloaded:\n${describe(app.reload())}`);
    } catch (error) {
      host.error(`reload failed, keeping the old table: ${(error as Error).message}`);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) host.signals.once(signal, () => void app.close().then(() => host.exit(0)));
  return app;
}

if (require.main === module) {
  void runPositionApp({
    env: process.env,
    signals: process,
    log: (line) => console.log(line),
    error: (line) => console.error(line),
    exit: (code) => process.exit(code),
  });
}
