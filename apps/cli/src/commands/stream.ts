import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VsoaClient, VsoaClientStream, VsoaStatus } from '@vsoa/core';
import { Command, showHelp } from '../command';
import { CliError, ExitCode, fileProblem, statusError, UsageError } from '../errors';
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
import { ProgressMeter } from '../progress';

const OPTIONS = {
  ...CONNECT_OPTIONS,
  ...PAYLOAD_OPTIONS,
  output: { type: 'string', short: 'o' },
} as const;

const HELP = `Usage: vsoa stream vsoa://HOST:PORT/URL -o FILE [options]

Calls URL (GET); its reply announces a stream tunnel, whose bytes are saved to
FILE. On a terminal, standard error shows the progress (bytes, rate, and the ETA
when the reply's param says the size, as {"size": N}).

Options:
  -o, --output FILE       where to save the bytes; - for standard output (required)
${PAYLOAD_HELP}
${connectHelp('time allowed to connect, for the reply, and for the tunnel to open (default 5000)')}

Exit codes: 0 saved, 1 the reply has a non-zero status or no stream, 2 usage error,
3 connection failed, timed out, or the stream ended short of its size.`;

export const streamCommand: Command = {
  name: 'stream',
  summary: 'save the stream a command replies with',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    const [url] = expectPositionals(positionals, ['URL']);
    const { path } = parseTarget(url);
    if (values.output === undefined) throw new UsageError('missing -o FILE (- for standard output)');
    const payload = await readPayload(values);
    const options = connectOptions(values);
    const timeout = options.timeout ?? 5000;

    // Open the file first: a bad path should fail before the server sets up a tunnel.
    const sink = await openSink(values.output);
    const client = new VsoaClient();
    try {
      await client.connect(url, options);
      const reply = await client.fetch(path, { payload, timeout });
      if (reply.status !== VsoaStatus.SUCCESS) throw statusError(path, reply.status);
      if (!reply.tunid) throw new CliError(`the reply of ${path} announces no stream`, ExitCode.FAILED);
      await save(client.createStream(reply.tunid, { timeout }), sink, timeout, announcedSize(reply.payload.param));
    } catch (error) {
      await sink.discard();
      throw error;
    } finally {
      await client.close();
    }
    return ExitCode.OK;
  },
};

/** Where the bytes go: a file (removed again on failure) or standard output. */
interface Sink {
  stream: Writable;
  isStdout: boolean;
  discard(): Promise<void>;
}

async function openSink(file: string): Promise<Sink> {
  if (file === '-') return { stream: process.stdout, isStdout: true, discard: async () => undefined };
  let handle: FileHandle;
  try {
    handle = await open(file, 'w');
  } catch (error) {
    throw new UsageError(`-o ${file}: ${fileProblem(error)}`);
  }
  const stream = handle.createWriteStream();
  return {
    stream,
    isStdout: false,
    discard: async () => {
      stream.destroy();
      await unlink(file).catch(() => undefined);
    },
  };
}

/** Copies the tunnel into the sink, drawing progress on a terminal. */
async function save(tunnel: VsoaClientStream, sink: Sink, timeout: number, total: number | undefined): Promise<void> {
  let timedOut = false;
  tunnel.once('timeout', () => (timedOut = true));
  const meter = new ProgressMeter(total, process.stderr.isTTY ? process.stderr : null);
  try {
    await pipeline(tunnel, meter, sink.stream, { end: !sink.isStdout });
  } catch (error) {
    if (timedOut) throw new CliError(`timeout: the stream tunnel did not open within ${timeout} ms`, ExitCode.CONNECTION);
    throw error;
  } finally {
    meter.finish();
  }
  if (total !== undefined && meter.bytes < total) {
    throw new CliError(`connection lost: the stream ended after ${meter.bytes} of ${total} bytes`, ExitCode.CONNECTION);
  }
}

/** The size a reply announces as `{"size": N}`, if any. */
function announcedSize(param: unknown): number | undefined {
  const size = (param as { size?: unknown } | undefined)?.size;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}
