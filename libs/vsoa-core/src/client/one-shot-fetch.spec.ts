/**
 * The one-shot `fetch('vsoa://host:port/url')`: connect, call, close. Real server on 127.0.0.1.
 */
import { VsoaServer } from '../server/server';
import { fetch } from './one-shot-fetch';
import { nextEvent } from '../../../../test/helpers/events';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';

const teardowns = teardownsAfterEach();
const servers: VsoaServer[] = [];
afterEach(() => servers.splice(0));

async function startServer(passwd?: string): Promise<string> {
  const server = new VsoaServer({ info: { name: 'one-shot' }, passwd });
  servers.push(server);
  teardowns.push(() => server.close());
  server.command('/never', () => undefined);
  server.command('/object', (cli, req) => cli.reply(req.seqno, { param: { a: 1 } }));
  // Answers after a while, so that a call given too little of the time left would give up.
  server.command('/later', (cli, req) => {
    const timer = setTimeout(() => cli.reply(req.seqno, { param: 'late' }), 150);
    teardowns.push(() => clearTimeout(timer));
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return `vsoa://127.0.0.1:${server.address()!.port}`;
}

describe('one-shot fetch', () => {
  it('resolves with the reply and the server info', async () => {
    const base = await startServer();
    await expect(fetch(`${base}/object`)).resolves.toMatchObject({ status: 0, payload: { param: { a: 1 } }, info: { name: 'one-shot' } });
  });

  it('delivers the param as text when raw', async () => {
    const base = await startServer();
    const reply = await fetch(`${base}/object`, { raw: true });
    expect(reply.payload.param).toBe('{"a":1}');
  });

  it('gives the call what is left of the timeout after connecting', async () => {
    const base = await startServer();
    await expect(fetch(`${base}/later`, { timeout: 2000 })).resolves.toMatchObject({ payload: { param: 'late' } });
  });

  it('connects with the connect options it was given', async () => {
    const base = await startServer('secret');
    await expect(fetch(`${base}/object`, { passwd: 'secret' })).resolves.toMatchObject({ status: 0 });
    await expect(fetch(`${base}/object`, { passwd: 'wrong' })).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
  });

  it('gives up with TIMEOUT when the reply does not come within the timeout', async () => {
    const base = await startServer();
    const error = await fetch(`${base}/never`, { timeout: 200 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/^RPC \/never: no reply in \d+ ms$/) });
    const allowed = Number(/in (\d+) ms/.exec((error as Error).message)![1]);
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThanOrEqual(200);
  });

  it('closes its connection once the reply is in', async () => {
    const base = await startServer();
    const left = nextEvent(servers[0], 'client', (_cli, connected) => connected === false);
    await fetch(`${base}/object`);
    await left;
  });
});
