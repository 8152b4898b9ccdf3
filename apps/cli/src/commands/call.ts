import { fetch, statusName, toMethod, VsoaStatus } from '@vsoa/core';
import { Command, jsonLine, out, showHelp } from '../command';
import { ExitCode, formatStatus, statusError, UsageError } from '../errors';
import {
  CONNECT_OPTIONS,
  connectHelp,
  expectPositionals,
  PAYLOAD_HELP,
  PAYLOAD_OPTIONS,
  parseCommandLine,
  parseTarget,
  connectOptions,
  readPayload,
} from '../options';

const OPTIONS = {
  ...CONNECT_OPTIONS,
  ...PAYLOAD_OPTIONS,
  set: { type: 'boolean' },
  method: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage: vsoa call vsoa://HOST:PORT/URL [options]

Calls the RPC command at URL once and prints the reply: its status by name and
number, its param as JSON and the size of its data.

Options:
  --set                   call with SET (default GET)
  --method GET|SET        the method by name (any case), or 0 / 1 as the seed numbers them
${PAYLOAD_HELP}
  --json                  print one line {status, statusName, param, dataBytes, tunid}
${connectHelp('bound on the whole call, connect to reply (default 10000)')}

Exit codes: 0 SUCCESS, 1 any other status, 2 usage error,
3 connection failed, wrong password or no reply in time.`;

export const callCommand: Command = {
  name: 'call',
  summary: 'call an RPC command once and print the reply',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [url] = expectPositionals(positionals, ['URL']);
    const { path } = parseTarget(url);
    const payload = await readPayload(values);
    if (values.set && values.method !== undefined) throw new UsageError('give --set or --method, not both');
    // Checked before connecting: a mistyped method must not become a GET.
    const method =
      values.method === undefined
        ? values.set
          ? 'SET'
          : 'GET'
        : toMethod(/^[01]$/.test(values.method) ? Number(values.method) : values.method);
    const reply = await fetch(url, { ...connectOptions(values), method, payload });
    const { param, data } = reply.payload;
    const dataBytes = data?.length ?? 0;
    if (values.json) {
      out(jsonLine({ status: reply.status, statusName: statusName(reply.status), param: param ?? null, dataBytes, tunid: reply.tunid }));
    } else {
      out(formatStatus(reply.status));
      if (param !== undefined) out(`param: ${JSON.stringify(param, null, 2)}`);
      out(`data: ${dataBytes} bytes`);
      if (reply.tunid) out(`tunid: ${reply.tunid}`);
    }
    if (reply.status !== VsoaStatus.SUCCESS) throw statusError(path, reply.status);
    return ExitCode.OK;
  },
};
