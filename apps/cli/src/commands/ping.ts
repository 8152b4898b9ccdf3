import { setTimeout as delay } from 'node:timers/promises';
import { VsoaClient, VsoaError } from '@vsoa/core';
import { Command, nextStopSignal, out, showHelp } from '../command';
import { CliError, describeError, ExitCode } from '../errors';
import { CONNECT_OPTIONS, connectHelp, connectOptions, expectPositionals, parseCommandLine, parseInteger, parseTarget } from '../options';

const OPTIONS = {
  ...CONNECT_OPTIONS,
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
} as const;

const HELP = `Usage: vsoa ping vsoa://HOST:PORT [options]

Pings a server over its VSOA link, one line per reply with its round-trip time,
then a summary (on Ctrl-C when no count is given).

Options:
  -c, --count N           stop after N pings (default: until Ctrl-C)
  -i, --interval MS       time between pings (default 1000)
${connectHelp('time allowed to connect, and for each reply (default 5000)')}

Exit codes: 0 at least one reply, 1 every ping lost, 2 usage error,
3 connection failed or lost.`;

export const pingCommand: Command = {
  name: 'ping',
  summary: 'measure round trips to a server',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [url] = expectPositionals(positionals, ['URL']);
    parseTarget(url);
    const count = parseInteger(values.count, '--count') ?? Infinity;
    const interval = parseInteger(values.interval, '--interval', 0) ?? 1000;
    const options = connectOptions(values);
    const timeout = options.timeout ?? 5000;

    const client = new VsoaClient();
    await client.connect(url, options);
    const stop = new AbortController();
    void nextStopSignal().then(() => stop.abort());
    const times: number[] = [];
    let sent = 0;
    let lostLink: CliError | null = null;
    try {
      while (sent < count && !stop.signal.aborted) {
        sent++;
        try {
          const ms = await client.ping(timeout);
          times.push(ms);
          out(`reply from ${url}: seq=${sent} time=${ms.toFixed(3)} ms`);
        } catch (error) {
          if ((error as VsoaError).code !== 'TIMEOUT') {
            const { message } = describeError(error);
            lostLink = new CliError(message, ExitCode.CONNECTION);
            break;
          }
          out(`no reply: seq=${sent} (timeout ${timeout} ms)`);
        }
        if (sent < count) await delay(interval, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } finally {
      await client.close();
    }

    out(`--- ${url} ping statistics ---`);
    const lost = sent - times.length;
    out(`${sent} sent, ${times.length} received, ${sent ? Math.round((lost / sent) * 100) : 0}% lost`);
    if (times.length > 0) {
      const avg = times.reduce((a, b) => a + b, 0) / times.length;
      out(`rtt min/avg/max = ${[Math.min(...times), avg, Math.max(...times)].map((t) => t.toFixed(3)).join('/')} ms`);
    }
    if (lostLink) throw lostLink;
    if (times.length === 0) throw new CliError(`no reply to ${sent} ping${sent === 1 ? '' : 's'}`, ExitCode.FAILED);
    return ExitCode.OK;
  },
};
