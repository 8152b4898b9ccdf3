import { ExitCode } from './errors';

/** One `vsoa` sub-command. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(args: string[]): Promise<number>;
}

/** Writes a line to standard output. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to standard error. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints a command's help; the exit code of `--help`. */
export function showHelp(text: string): number {
  out(text.trimEnd());
  return ExitCode.OK;
}

/** Resolves with the signal when SIGINT or SIGTERM arrives (then they no longer kill the process). */
export function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Compact JSON for one output line; `undefined` becomes null. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value ?? null);
}
