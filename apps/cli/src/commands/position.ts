import { readFile } from 'node:fs/promises';
import { answerQuery, parsePositionTable, PositionServer } from '@vsoa/core';
import type { PositionTable } from '@vsoa/core';
import { Command, nextStopSignal, out, showHelp } from '../command';
import { ExitCode, fileProblem, UsageError } from '../errors';
import { expectPositionals, HELP_OPTION, parseCommandLine, parseInteger } from '../options';

const OPTIONS = {
  ...HELP_OPTION,
  table: { type: 'string' },
  host: { type: 'string', default: '0.0.0.0' },
  port: { type: 'string', default: '54' },
} as const;

const HELP = `Usage: vsoa position serve --table FILE [options]

Runs a position server answering from a JSON table, until Ctrl-C:
  { "NAME": { "addr": "127.0.0.1", "port": 3005, "security": false }, … }
or a list of entries that carry their "name".

Options:
  --table FILE            the table (required)
  --host ADDR             address to bind (default 0.0.0.0; an IPv6 address binds IPv6)
  --port N                UDP port (default 54; 0 picks a free one)
  -h, --help              show this help`;

export const positionCommand: Command = {
  name: 'position',
  summary: 'run a position server from a JSON table (position serve)',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [action] = expectPositionals(positionals, ['the action (serve)']);
    if (action !== 'serve') throw new UsageError(`unknown action ${JSON.stringify(action)}: the only one is serve`);
    if (values.table === undefined) throw new UsageError('missing --table FILE');
    const port = parseInteger(values.port, '--port', 0)!;
    const { server, names } = await serverFromTable(values.table);
    try {
      await server.listen({ host: values.host, port });
    } catch (error) {
      throw new UsageError(`cannot listen on udp ${values.host}:${port}: ${(error as Error).message}`);
    }
    const bound = server.address()!;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    out(`position server on udp ${host}:${bound.port} answering ${names.join(', ') || 'no name'}`);
    await nextStopSignal();
    await server.close();
    return ExitCode.OK;
  },
};

/** A server answering from the file's table (names to entries, one per address family). */
async function serverFromTable(file: string): Promise<{ server: PositionServer; names: string[] }> {
  let table: PositionTable;
  try {
    table = parsePositionTable(await readFile(file, 'utf8'), `--table ${file}`);
  } catch (error) {
    throw new UsageError(
      error instanceof Error && error.message.startsWith('--table') ? error.message : `--table ${file}: ${fileProblem(error)}`,
    );
  }
  const server = new PositionServer({ onquery: (query, reply) => reply(answerQuery(table, query)) });
  return { server, names: [...new Set([...table.values()].flat().map((entry) => entry.name))] };
}
