import { VsoaClient } from '@vsoa/core';
import { Command, out, showHelp } from '../command';
import { ExitCode } from '../errors';
import {
  CONNECT_OPTIONS,
  connectHelp,
  connectOptions,
  expectPositionals,
  PAYLOAD_HELP,
  PAYLOAD_OPTIONS,
  parseCommandLine,
  parseTarget,
  readPayload,
} from '../options';

const OPTIONS = { ...CONNECT_OPTIONS, ...PAYLOAD_OPTIONS, quick: { type: 'boolean' } } as const;

const HELP = `Usage: vsoa datagram vsoa://HOST:PORT/URL [options]

Sends one datagram to URL. Datagrams have no reply; a ping after it makes sure
the server got it (over TCP; a quick one is UDP and may still be lost).

Options:
  --quick                 send over the quick (UDP) channel
${PAYLOAD_HELP}
${connectHelp('time allowed to connect, and for the ping after the datagram (default 5000)')}`;

export const datagramCommand: Command = {
  name: 'datagram',
  summary: 'send one datagram',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [url] = expectPositionals(positionals, ['URL']);
    const { path } = parseTarget(url);
    const payload = await readPayload(values);
    const options = connectOptions(values);
    const client = new VsoaClient();
    try {
      await client.connect(url, options);
      client.datagram(path, payload, { quick: values.quick });
      // Replies come in order on the TCP link, so the ping's answer means the datagram arrived.
      await client.ping(options.timeout ?? 5000);
    } finally {
      await client.close();
    }
    out(`sent ${path}${values.quick ? ' (quick)' : ''}`);
    return ExitCode.OK;
  },
};
