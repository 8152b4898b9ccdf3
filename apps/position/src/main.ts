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

if (require.main === module) {
  startPositionApp().then(
    (app) => {
      const { address, port } = app.server.address()!;
      console.log(`VSOA position server on udp ${address}:${port}\n${describe(app.reload())}`);
      console.log(`Point clients at it: VSOA_POS_SERVER=${address === '0.0.0.0' ? '127.0.0.1' : address}:${port}`);
      process.on('SIGHUP', () => {
        try {
          console.log(`table reloaded:\n${describe(app.reload())}`);
        } catch (error) {
          console.error(`reload failed, keeping the old table: ${(error as Error).message}`);
        }
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
    },
    (error: Error) => {
      console.error(`position server failed to start: ${error.message}`);
      console.error(
        'Give it a table: POSITION_FILE=apps/position/positions.example.json, or VSOA_POSITIONS=\'{"name":{"addr":"127.0.0.1","port":3005}}\'',
      );
      process.exit(1);
    },
  );
}
