import { AF_INET6, lookup } from '@vsoa/core';
import type { PositionEntry } from '@vsoa/core';
import { Command, jsonLine, out, showHelp } from '../command';
import { ExitCode } from '../errors';
import { expectPositionals, HELP_OPTION, lookupOptions, parseCommandLine, parseInteger, POSITION_OPTION, TIMEOUT_OPTION } from '../options';

const OPTIONS = { ...HELP_OPTION, ...TIMEOUT_OPTION, ...POSITION_OPTION, json: { type: 'boolean' } } as const;

/** Queries sent to each position server (the library's default). */
const TRIES = 2;

const HELP = `Usage: vsoa lookup NAME [options]

Asks position servers where the service NAME is, and prints the answer:
"NAME -> ADDR:PORT (IPv4|IPv6[, TLS])".

Options:
  --pos-server IP:PORT    the position server(s) to ask, comma-separated
                          (default: $VSOA_POS_SERVER, then /etc/vsoa.pos)
  --timeout MS            how long to wait for each server (default 4000)
  --json                  print the entry as one JSON line {name, addr, port, domain, security}
  -h, --help              show this help

Exit codes: 0 found, 2 usage error, 3 no server knows the name or none answered.`;

export const lookupCommand: Command = {
  name: 'lookup',
  summary: 'find where a service is through position servers',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [name] = expectPositionals(positionals, ['NAME']);
    const timeout = parseInteger(values.timeout, '--timeout');
    const entry = await lookup(name, {
      ...lookupOptions(values),
      tries: TRIES,
      retryInterval: timeout === undefined ? undefined : Math.max(1, Math.ceil(timeout / TRIES)),
    });
    out(values.json ? jsonLine(entry) : describeEntry(entry));
    return ExitCode.OK;
  },
};

/** `light -> 127.0.0.1:3005 (IPv4, TLS)`. */
function describeEntry(entry: PositionEntry): string {
  const v6 = entry.domain === AF_INET6;
  const address = v6 ? `[${entry.addr}]:${entry.port}` : `${entry.addr}:${entry.port}`;
  return `${entry.name} -> ${address} (${v6 ? 'IPv6' : 'IPv4'}${entry.security ? ', TLS' : ''})`;
}
