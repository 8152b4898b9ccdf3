/**
 * A core server with an `/echo` command on 127.0.0.1, and clients of it, each closed by the test
 * file's teardowns: the set-up of the server-side API's specs.
 */
import { RemoteClient, VsoaClient, VsoaServer, VsoaServerOptions } from '@vsoa/core';
import { nextEvent } from './events';
import { RecordingLogger } from './recording-logger';

export interface EchoServer {
  server: VsoaServer;
  log: RecordingLogger;
  port: number;
}

export interface EchoServerFixture {
  /** A listening server (logging to `log`) that echoes `/echo` calls. */
  start(options?: VsoaServerOptions): Promise<EchoServer>;
  /** A client connected to `port`. */
  client(port: number, passwd?: string): Promise<VsoaClient>;
  /** A client and the server's RemoteClient for it. */
  pair(server: VsoaServer, port: number): Promise<{ c: VsoaClient; cli: RemoteClient }>;
}

export function echoServerFixture(teardowns: Array<() => unknown>): EchoServerFixture {
  const client = async (port: number, passwd?: string): Promise<VsoaClient> => {
    const c = new VsoaClient({ timeout: 2000 });
    teardowns.push(() => c.close());
    await c.connect(`vsoa://127.0.0.1:${port}`, { passwd });
    return c;
  };
  return {
    async start(options = {}) {
      const log = new RecordingLogger();
      const server = new VsoaServer({ logger: log, ...options });
      server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
      await server.listen({ host: '127.0.0.1', port: 0 });
      teardowns.push(() => server.close());
      return { server, log, port: server.address()!.port };
    },
    client,
    async pair(server, port) {
      const joined = nextEvent<[RemoteClient, boolean]>(server, 'client', (_cli, connected) => connected);
      const c = await client(port);
      const [cli] = await joined;
      return { c, cli };
    },
  };
}
