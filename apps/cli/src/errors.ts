import { statusName, VsoaConnectError, VsoaError } from '@vsoa/core';

/** Exit codes, as `vsoa --help` documents them. */
export const ExitCode = {
  OK: 0,
  /** The server answered a non-zero status, or every ping was lost. */
  FAILED: 1,
  /** Bad command line: unknown option, bad JSON, unreadable file. */
  USAGE: 2,
  /** Could not connect, look up or get an answer in time. */
  CONNECTION: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one line and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.FAILED,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
  }
}

/** What each non-zero reply status means, for the error line. */
const STATUS_HINTS = new Map<number, string>([
  [1, 'wrong password'],
  [2, 'the server rejected the arguments'],
  [3, 'the server has no command at this URL'],
  [4, 'the command failed without an answer'],
  [5, 'permission denied'],
  [6, 'the server is out of memory'],
  [7, "the proxy's upstream call failed"],
]);

/** `INVALID_URL (3)`. */
export function formatStatus(status: number): string {
  return `${statusName(status)} (${status})`;
}

/** The failure of a reply with a non-zero status. */
export function statusError(url: string, status: number): CliError {
  const hint = STATUS_HINTS.get(status) ?? 'an application-defined failure';
  return new CliError(`${url} answered ${formatStatus(status)}: ${hint}`, ExitCode.FAILED);
}

/** Labels that say in a word what kind of failure a library error code is. */
const LABELS: Record<string, string> = {
  CONNECT_ERROR: 'unreachable',
  UNREACHABLE: 'unreachable',
  SERVER_NOT_FOUND: 'not found',
  SERVER_NO_RESPONDING: 'timeout',
  INVALID_RESPONDING: 'not a VSOA server',
  INVALID_PASSWD: 'wrong password',
  SSL_HS_FAILED: 'TLS handshake failed',
  TIMEOUT: 'timeout',
  CLOSED: 'connection lost',
  NOT_CONNECTED: 'not connected',
  INVALID_REPLY: 'bad reply',
};

/** Library error codes that are the user's input, not the network. */
const USAGE_CODES = new Set(['INVALID_ARGUMENT', 'QUICK_OVER_TLS', 'TOO_LARGE']);

/** One line and an exit code for any error; never a stack trace. */
export function describeError(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof VsoaError) {
    const label = LABELS[error.code];
    const message = oneLine(label ? `${label}: ${error.message}` : error.message);
    if (error instanceof VsoaConnectError) return { message, exitCode: ExitCode.CONNECTION };
    if (USAGE_CODES.has(error.code)) return { message, exitCode: ExitCode.USAGE };
    if (error.code === 'INVALID_REPLY') return { message, exitCode: ExitCode.FAILED };
    return { message, exitCode: ExitCode.CONNECTION };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: oneLine(message), exitCode: ExitCode.FAILED };
}

/** A file-system error in a few words (`no such file`), for "cannot read FILE: …". */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
  return (code && known[code]) ?? (error as Error).message;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
