/**
 * Position service interop with the official `vsoa` npm package (v1.5.1), over real UDP sockets
 * on loopback with port 0, in both directions:
 *   A) official vsoa.Position  <-  our lookup()
 *   B) our PositionServer      <-  official vsoa.lookup()
 *
 * Nothing sleeps to synchronise: each check awaits the answer, error or timeout it expects.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vsoa from 'vsoa';
import { lookup, PositionServer, setPositionServer, VsoaConnectError } from '@vsoa/core';
import type { LookupOptions, PositionEntry, PositionServerOptions } from '@vsoa/core';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
/** Keeps our lookup off the machine's env and /etc/vsoa.pos, with quick retries. */
const ISOLATED: LookupOptions = { env: {}, posFile: join(tmpdir(), 'vsoa-no-such-file.pos'), retryInterval: 100, sources: ['position'] };

const SVC: PositionEntry = { name: 'svc', addr: '127.0.0.1', port: 3005, domain: 2, security: false };
const SVC6: PositionEntry = { name: 'svc', addr: '::1', port: 3006, domain: 10, security: true };

const teardowns = teardownsAfterEach();
afterEach(() => {
  setPositionServer(null);
  // The official package keeps the server set in code in a module variable too.
  vsoa.Position.server(undefined as unknown as vsoa.SocketAddr);
});

/** Starts an official position server on loopback, port 0, and resolves with the port it got. */
async function startOfficial(table: vsoa.PostionEntry[], onquery?: vsoa.PositionQueryCb): Promise<number> {
  const position = new vsoa.Position(table, { domain: vsoa.AF_INET, addr: HOST, port: 0 });
  if (onquery) position.onquery = onquery;
  await new Promise<void>((resolve) => position.start(() => resolve()));
  teardowns.push(() => new Promise<void>((resolve) => position.close(() => resolve())));
  // It has no address(); its socket does.
  return (position as unknown as { _udp: UdpSocket })._udp.address().port;
}

async function startOurs(options: PositionServerOptions, host = HOST): Promise<{ server: PositionServer; port: number }> {
  const server = new PositionServer(options);
  await server.listen({ host, port: 0 });
  teardowns.push(() => server.close());
  return { server, port: server.address()!.port };
}

/** The official lookup as a promise that always resolves, with its error or its answer. */
function officialLookup(name: string, domain?: vsoa.NetDomain): Promise<{ error?: Error; answer?: vsoa.SocketAddr; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => vsoa.lookup(name, (error, answer) => resolve({ error, answer, ms: Date.now() - started }), domain));
}

describe('A) our lookup against the official vsoa.Position', () => {
  it('resolves a name of its table, of the domain asked for', async () => {
    const port = await startOfficial([
      { name: 'svc', addr: SVC.addr, port: SVC.port, domain: vsoa.AF_INET },
      { name: 'svc', addr: SVC6.addr, port: SVC6.port, domain: vsoa.AF_INET6, security: true },
    ]);
    setPositionServer(HOST, port);
    // Its table entries carry no `security` unless given; ours reads the absence as false.
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
    await expect(lookup('svc', { ...ISOLATED, domain: 2 })).resolves.toEqual(SVC);
    await expect(lookup('svc', { ...ISOLATED, domain: 10 })).resolves.toEqual(SVC6);
  });

  it('resolves names case-insensitively (it lower-cases its table)', async () => {
    const port = await startOfficial([{ name: 'MySvc', addr: SVC.addr, port: SVC.port, domain: vsoa.AF_INET }]);
    setPositionServer(HOST, port);
    await expect(lookup('MYSVC', ISOLATED)).resolves.toEqual({ ...SVC, name: 'mysvc' });
  });

  it('finds it through VSOA_POS_SERVER', async () => {
    const port = await startOfficial([{ name: 'svc', addr: SVC.addr, port: SVC.port, domain: vsoa.AF_INET }]);
    await expect(lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: `${HOST}:${port}` } })).resolves.toEqual(SVC);
  });

  it('resolves through its onquery hook, which gets the name as asked and the domain', async () => {
    const asked: unknown[] = [];
    const port = await startOfficial([], (name, domain, reply) => {
      asked.push({ name, domain });
      setImmediate(() => reply({ name, addr: SVC.addr, port: 4000, domain: vsoa.AF_INET }));
    });
    setPositionServer(HOST, port);
    await expect(lookup('Dyn', { ...ISOLATED, domain: 2 })).resolves.toEqual({ ...SVC, name: 'Dyn', port: 4000 });
    expect(asked).toEqual([{ name: 'Dyn', domain: 2 }]);
  });

  it('rejects at once when its hook answers {} for an unknown name', async () => {
    const port = await startOfficial([], (_name, _domain, reply) => reply(null as unknown as vsoa.PostionEntry));
    setPositionServer(HOST, port);
    const started = Date.now();
    const error = await lookup('nope', { ...ISOLATED, retryInterval: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(VsoaConnectError);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('does not know') });
  });

  it('times out on an unknown name when it has no hook (it stays silent then)', async () => {
    const port = await startOfficial([{ name: 'svc', addr: SVC.addr, port: SVC.port, domain: vsoa.AF_INET }]);
    setPositionServer(HOST, port);
    const error = await lookup('nope', { ...ISOLATED, tries: 2, retryInterval: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsoaConnectError);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('did not answer 2 queries within 200 ms') });
  });
});

describe('B) the official vsoa.lookup against our PositionServer', () => {
  it('resolves a name of our table, case-insensitively', async () => {
    const { server, port } = await startOurs({ table: { svc: SVC } });
    vsoa.Position.server({ domain: vsoa.AF_INET, addr: HOST, port });
    const upper = await officialLookup('SVC');
    expect(upper.error).toBeUndefined();
    expect(upper.answer).toEqual(SVC);
    const lower = await officialLookup('svc', vsoa.AF_INET);
    expect(lower.answer).toEqual(SVC);
    expect(server.counters).toMatchObject({ queries: 2, answered: 2 });
  });

  it('resolves through our onquery hook', async () => {
    const { port } = await startOurs({ onquery: (query, reply) => setImmediate(() => reply({ ...SVC, name: query.name, port: 4000 })) });
    vsoa.Position.server({ domain: vsoa.AF_INET, addr: HOST, port });
    const { error, answer } = await officialLookup('dyn');
    expect(error).toBeUndefined();
    expect(answer).toEqual({ ...SVC, name: 'dyn', port: 4000 });
  });

  it('fails at once on an unknown name, since ours always answers {}', async () => {
    const { server, port } = await startOurs({ table: { svc: SVC } });
    vsoa.Position.server({ domain: vsoa.AF_INET, addr: HOST, port });
    const { error, answer, ms } = await officialLookup('nope');
    expect(answer).toBeUndefined();
    expect(error?.message).toBe('Not found!');
    expect(ms).toBeLessThan(1000); // its own timeout is 2 s per try
    expect(server.counters).toMatchObject({ queries: 1, unknown: 1 });
  });

  it('resolves an IPv6 entry over IPv6', async () => {
    const { port } = await startOurs({ table: [SVC6, SVC] }, '::1');
    vsoa.Position.server({ domain: vsoa.AF_INET6, addr: '::1', port });
    const { error, answer } = await officialLookup('svc', vsoa.AF_INET6);
    expect(error).toBeUndefined();
    expect(answer).toEqual(SVC6);
  });

  describe('through VSOA_POS_SERVER', () => {
    const saved = process.env.VSOA_POS_SERVER;
    afterEach(() => {
      if (saved === undefined) delete process.env.VSOA_POS_SERVER;
      else process.env.VSOA_POS_SERVER = saved;
    });

    it('resolves a name of our table, past a server that does not know it', async () => {
      const [empty, full] = await Promise.all([startOurs({}), startOurs({ table: { svc: SVC } })]);
      // It asks each listed server in turn; our `{}` sends it on to the next at once.
      process.env.VSOA_POS_SERVER = `${HOST}:${empty.port},${HOST}:${full.port}`;
      const { error, answer } = await officialLookup('svc');
      expect(error).toBeUndefined();
      expect(answer).toEqual(SVC);
      expect(empty.server.counters.unknown).toBe(1);
    });
  });
});
