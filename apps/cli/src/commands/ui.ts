import { Command, nextStopSignal, note, out, showHelp } from '../command';
import { describeError, UsageError } from '../errors';
import { CONNECT_OPTIONS, connectHelp, connectOptions, parseCommandLine, parseInteger, parseTarget } from '../options';
import { ExplorerServer } from '../explorer/explorer-server';
import { ExplorerSession } from '../explorer/explorer-session';

const OPTIONS = { ...CONNECT_OPTIONS, port: { type: 'string' }, host: { type: 'string' } } as const;

const HELP = `Usage: vsoa ui [vsoa://HOST:PORT | vsoa://NAME] [options]

Serves the VSOA Explorer, a web page to browse, call and watch a VSOA service:
call URLs with a JSON param, subscribe and watch a live tree of publishes with
counts, rates and charts, send datagrams, see the ping round trip, look names
up. Prints the page's URL and opens nothing itself. With a URL, it connects to
that server at once; otherwise connect from the page. Stops on Ctrl-C.

The page can call any service this machine reaches, so it listens on 127.0.0.1
unless --host says otherwise.

Options:
  --port N                the page's port (default 0: a free one)
  --host ADDRESS          the address to listen on (default 127.0.0.1)
${connectHelp('time allowed for each connect attempt and call (default 10000)')}`;

export const uiCommand: Command = {
  name: 'ui',
  summary: 'serve a web page to browse, call and watch a service',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) return showHelp(HELP);
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    const target = positionals[0];
    if (target !== undefined) parseTarget(target);
    const port = parseInteger(values.port, '--port', 0) ?? 0;
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
    const connect = connectOptions(values);

    const session = new ExplorerSession({ connect, timeout: connect.timeout });
    const server = new ExplorerServer(session);
    try {
      const url = await server.listen({ host: values.host, port });
      out(`VSOA Explorer: ${url}`);
      if (target !== undefined) {
        // A server that is down is not fatal: the page shows the problem and can connect later.
        session.connect(target).then(
          () => note(`vsoa ui: connected to ${target}`),
          (error: unknown) => note(`vsoa ui: cannot connect to ${target}: ${describeError(error).message}`),
        );
      }
      await nextStopSignal();
      return 0;
    } finally {
      await server.close();
      await session.close();
    }
  },
};
