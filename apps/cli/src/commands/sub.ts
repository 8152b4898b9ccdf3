import { isValidUrl, VsoaClient } from '@vsoa/core';
import type { VsoaPayload } from '@vsoa/core';
import { Command, jsonLine, nextStopSignal, note, out, showHelp } from '../command';
import { describeError, ExitCode, UsageError } from '../errors';
import { CONNECT_OPTIONS, connectHelp, connectOptions, parseCommandLine, parseTarget } from '../options';

const OPTIONS = { ...CONNECT_OPTIONS, json: { type: 'boolean' } } as const;

const HELP = `Usage: vsoa sub vsoa://HOST:PORT/URL [URL …] [options]

Subscribes to URL (and to each further URL, given as /path) and prints one line
per publish: "URL PARAM", with " quick" when it came over UDP. A URL ending in /
covers everything below it; / covers everything. The link is kept up: when it
drops, a line on standard error says so, and it reconnects and re-subscribes.
Stops on Ctrl-C (exit code 0).

Options:
  --json                  print each publish as a JSON line {url, param, dataBytes, quick}
${connectHelp('time allowed for each connect attempt (default 10000) and the subscribe (default 60000)')}`;

export const subCommand: Command = {
  name: 'sub',
  summary: 'subscribe to URLs and print every publish',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    if (positionals.length === 0) throw new UsageError('missing URL (see --help)');
    const [url, ...more] = positionals;
    const target = parseTarget(url);
    const urls = [target.path, ...more.map((extra) => extraPath(extra, url))];
    const options = connectOptions(values);

    const client = new VsoaClient({ timeout: options.timeout });
    client.on('message', (topic, payload, quick) =>
      out(values.json ? publishJson(topic, payload, quick) : publishLine(topic, payload, quick)),
    );

    let stopping = false;
    const outcome = new Promise<number>((resolve) => {
      let connected = false;
      let lastProblem = '';
      const fail = (error: unknown): void => {
        const { message, exitCode } = describeError(error);
        note(`vsoa sub: ${message}`);
        resolve(exitCode);
      };
      client.on('connect', () => {
        lastProblem = '';
        if (connected) {
          note(`vsoa sub: reconnected to ${url}`);
          return;
        }
        connected = true;
        client.subscribe(urls).then(() => note(`vsoa sub: subscribed to ${urls.join(' ')}`), fail);
      });
      client.on('disconnect', (error) => {
        if (!stopping) note(`vsoa sub: disconnected from ${url}${error ? ` (${describeError(error).message})` : ''}; reconnecting`);
      });
      client.on('connectError', (error) => {
        // The first attempt decides: a wrong URL or password will not fix itself.
        if (!connected) return fail(error);
        const { message } = describeError(error);
        if (message !== lastProblem) note(`vsoa sub: reconnect failed: ${message}; retrying`);
        lastProblem = message;
      });
      nextStopSignal().then(() => resolve(ExitCode.OK));
    });

    client.robot(url, { ...options, connTimeout: options.timeout });
    try {
      return await outcome;
    } finally {
      stopping = true;
      await client.close();
    }
  },
};

/** A further URL: `/path`, or a `vsoa://` URL of the same server. */
function extraPath(text: string, first: string): string {
  if (text.startsWith('/')) {
    if (!isValidUrl(text)) throw new UsageError(`invalid URL ${JSON.stringify(text)}`);
    return text;
  }
  const extra = parseTarget(text);
  const base = parseTarget(first);
  if (extra.host !== base.host || extra.port !== base.port) throw new UsageError(`${text} is not on the server of ${first}`);
  return extra.path;
}

function publishLine(url: string, payload: VsoaPayload, quick: boolean): string {
  const param = payload.param === undefined ? '-' : JSON.stringify(payload.param);
  const data = payload.data ? ` +${payload.data.length} bytes` : '';
  return `${url} ${param}${data}${quick ? ' quick' : ''}`;
}

function publishJson(url: string, payload: VsoaPayload, quick: boolean): string {
  return jsonLine({ url, param: payload.param ?? null, dataBytes: payload.data?.length ?? 0, quick });
}
