#!/usr/bin/env node
import { Command, note, out } from './command';
import { describeError, ExitCode } from './errors';
import { callCommand } from './commands/call';
import { datagramCommand } from './commands/datagram';
import { lookupCommand } from './commands/lookup';
import { pingCommand } from './commands/ping';
import { positionCommand } from './commands/position';
import { streamCommand } from './commands/stream';
import { subCommand } from './commands/sub';
import { uiCommand } from './commands/ui';

const COMMANDS: Command[] = [
  callCommand,
  subCommand,
  datagramCommand,
  pingCommand,
  lookupCommand,
  positionCommand,
  streamCommand,
  uiCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: vsoa COMMAND [options]

A command-line client (and position server) for VSOA.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Run "vsoa COMMAND --help" for a command's options.

Exit codes: 0 success, 1 the server answered a non-zero status (or every ping
was lost), 2 usage error, 3 connection, lookup or timeout failure.
Set NODE_DEBUG=vsoa to see what the library notices.`;
}

/** Runs the command line; resolves with the exit code. Every failure ends as one line on stderr. */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const command = COMMANDS.find((c) => c.name === args[0]);
    if (name === 'help' && command) return command.run(['--help']);
    if (name === undefined) {
      note(usage());
      return ExitCode.USAGE;
    }
    out(usage());
    return ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    note(`vsoa: unknown command ${JSON.stringify(name)} (see vsoa --help)`);
    return ExitCode.USAGE;
  }
  try {
    return await command.run(args);
  } catch (error) {
    return report(`vsoa ${command.name}`, error);
  }
}

/** Writes the error's one line (and its stack with NODE_DEBUG=vsoa); returns its exit code. */
function report(prefix: string, error: unknown): number {
  const { message, exitCode } = describeError(error);
  note(`${prefix}: ${message}`);
  if (/\bvsoa\b/.test(process.env.NODE_DEBUG ?? '') && error instanceof Error && error.stack) note(error.stack);
  return exitCode;
}

/** Exits once standard output has taken everything written to it. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

// Last resort: a bug still ends as one line (the stack only with NODE_DEBUG=vsoa).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    report('vsoa: internal error', error);
    process.exit(ExitCode.FAILED);
  });
}

// A reader that goes away (`vsoa sub … | head -1`) ends the program quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? ExitCode.OK : ExitCode.FAILED));

main(process.argv.slice(2)).then(exit, (error: unknown) => exit(report('vsoa', error)));
