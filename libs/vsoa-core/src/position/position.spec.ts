import { createSocket, RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VsoaConnectError, VsoaError } from '../errors';
import type { VsoaLogger } from '../logger';
import { collectUntil, nextEvent } from '../../../../test/helpers/events';
import {
  AF_UNSPEC,
  DEFAULT_POSITION_FILE,
  DEFAULT_POSITION_PORT,
  lookup,
  lookupPosition,
  LookupOptions,
  parsePositionFile,
  parsePositionServerList,
  PositionEntry,
  PositionServer,
  PositionServerOptions,
  setPositionServer,
} from './index';

const HOST = '127.0.0.1';
/** A file that does not exist, so that no test reads the machine's /etc/vsoa.pos. */
const NO_FILE = join(tmpdir(), 'vsoa-no-such-file.pos');
/** Options that keep a lookup off the real env and file and make retries quick. */
const ISOLATED: LookupOptions = { env: {}, posFile: NO_FILE, retryInterval: 100, sources: ['position'] };

const teardowns: Array<() => unknown> = [];
afterEach(async () => {
  setPositionServer(null);
  for (const teardown of teardowns.splice(0).reverse()) await teardown();
});

/** A logger that keeps what it is told. */
function recordingLogger(): VsoaLogger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return { warnings, debugs, debug: (message) => debugs.push(message), warn: (message) => warnings.push(message) };
}

async function startServer(options: PositionServerOptions = {}, host = HOST): Promise<{ server: PositionServer; port: number }> {
  const server = new PositionServer(options);
  await server.listen({ host, port: 0 });
  teardowns.push(() => server.close());
  return { server, port: server.address()!.port };
}

async function udpSocket(host = HOST): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  teardowns.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** Sends raw text to a position server and resolves with the text of its next answer. */
async function rawQuery(port: number, text: string | Buffer): Promise<string> {
  const socket = await udpSocket();
  const answer = nextEvent<[Buffer, RemoteInfo]>(socket, 'message');
  socket.send(text, port, HOST);
  return (await answer)[0].toString();
}

/** A hand-made position server: records each query and lets the test decide what to send back. */
class FakePositionServer {
  readonly queries: string[] = [];

  private constructor(
    readonly socket: UdpSocket,
    private readonly respond: (fake: FakePositionServer, query: string, from: RemoteInfo) => void,
  ) {
    socket.on('message', (msg, from) => {
      this.queries.push(msg.toString());
      this.respond(this, msg.toString(), from);
    });
  }

  static async start(
    respond: (fake: FakePositionServer, query: string, from: RemoteInfo) => void = () => undefined,
  ): Promise<FakePositionServer> {
    return new FakePositionServer(await udpSocket(), respond);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(to: RemoteInfo, text: string): void {
    this.socket.send(text, to.port, to.address);
  }
}

const SVC: PositionEntry = { name: 'svc', addr: '127.0.0.1', port: 3005, domain: 2, security: false };

describe('PositionServer with lookup', () => {
  it('answers a name from its table', async () => {
    const { port } = await startServer({ table: { svc: { addr: '127.0.0.1', port: 3005 } } });
    setPositionServer(HOST, port);
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
  });

  it('takes the table as a list of named entries too, with IPv6 and TLS entries', async () => {
    const { port } = await startServer({
      table: [
        { name: 'svc', addr: '127.0.0.1', port: 3005 },
        { name: 'svc', addr: '::1', port: 3006, domain: 10, security: true },
      ],
    });
    setPositionServer(HOST, port);
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
    await expect(lookup('svc', { ...ISOLATED, domain: 10 })).resolves.toEqual({
      name: 'svc',
      addr: '::1',
      port: 3006,
      domain: 10,
      security: true,
    });
  });

  it('answers through onquery, asynchronously, passing the name and domain asked for', async () => {
    const queries: unknown[] = [];
    const { port } = await startServer({
      onquery: (query, reply) => {
        queries.push(query);
        setImmediate(() => reply({ ...SVC, name: query.name, port: 4000 }));
      },
    });
    setPositionServer(HOST, port);
    await expect(lookup('dyn', { ...ISOLATED, domain: 2 })).resolves.toEqual({ ...SVC, name: 'dyn', port: 4000 });
    expect(queries).toEqual([{ name: 'dyn', domain: 2 }]);
  });

  it("takes onquery alone, as the seed's Position(onquery) does", async () => {
    const car = { name: 'car', addr: '10.0.0.7', port: 3005, domain: 2, security: false } as const;
    const server = new PositionServer((query, reply) => reply(query.name === 'car' ? car : null));
    await server.listen({ host: HOST, port: 0 });
    teardowns.push(() => server.close());
    setPositionServer(HOST, server.address()!.port);
    await expect(lookup('car', ISOLATED)).resolves.toEqual(car);
    await expect(lookup('bus', ISOLATED)).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
    expect(() => new PositionServer(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('asks the table before onquery', async () => {
    const onquery = jest.fn();
    const { port } = await startServer({ table: { svc: SVC }, onquery });
    setPositionServer(HOST, port);
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
    expect(onquery).not.toHaveBeenCalled();
  });

  it('rejects an unknown name with SERVER_NOT_FOUND at once, without waiting for retries', async () => {
    const { server, port } = await startServer({ table: { svc: SVC } });
    setPositionServer(HOST, port);
    const started = Date.now();
    const error = await lookup('nope', { ...ISOLATED, retryInterval: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(VsoaConnectError);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('does not know') });
    expect(server.counters).toMatchObject({ queries: 1, answered: 0, unknown: 1 });
  });

  it('answers {} for an unknown name, with or without onquery', async () => {
    const plain = await startServer({ table: { svc: SVC } });
    expect(await rawQuery(plain.port, '{"name":"nope"}')).toBe('{}');
    const hooked = await startServer({ onquery: (_query, reply) => reply(null) });
    expect(await rawQuery(hooked.port, '{"name":"nope","domain":2}')).toBe('{}');
  });

  it('compares names case-insensitively', async () => {
    const { port } = await startServer({ table: { MySvc: { addr: '127.0.0.1', port: 3005 } } });
    setPositionServer(HOST, port);
    await expect(lookup('mysvc', ISOLATED)).resolves.toMatchObject({ port: 3005 });
    await expect(lookup('MYSVC', ISOLATED)).resolves.toMatchObject({ port: 3005 });
  });

  it("answers only entries of the domain asked for; -1 (the seed's any family) asks for any", async () => {
    const { port } = await startServer({ table: { svc: SVC } });
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":10}'))).toEqual({});
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":2}'))).toEqual(SVC);
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":-1}'))).toEqual(SVC);
  });

  it("looks up any family with domain AF_UNSPEC (-1), as the seed's vsoa.lookup(name, -1)", async () => {
    const { server, port } = await startServer({ table: [{ name: 'svc', addr: '::1', port: 3006 }] });
    const queries: unknown[] = [];
    server.on('query', (query) => queries.push(query));
    setPositionServer(HOST, port);
    await expect(lookup('svc', { ...ISOLATED, domain: AF_UNSPEC })).resolves.toMatchObject({ addr: '::1', domain: 10 });
    // Asked without a domain, which every position server reads as "any".
    expect(queries).toEqual([{ name: 'svc' }]);
    await expect(lookup('svc', { ...ISOLATED, domain: 3 as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('follows set() and delete()', async () => {
    const { server, port } = await startServer();
    setPositionServer(HOST, port);
    server.set('svc', { addr: '127.0.0.1', port: 1 }).set('svc', { addr: '127.0.0.1', port: 2 });
    await expect(lookup('svc', ISOLATED)).resolves.toMatchObject({ port: 2 });
    expect(server.delete('SVC')).toBe(true);
    expect(server.delete('svc')).toBe(false);
    await expect(lookup('svc', ISOLATED)).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
  });

  it('refuses unusable entries', () => {
    const server = new PositionServer();
    expect(() => server.set('svc', { addr: 'example.com', port: 1 })).toThrow(VsoaError);
    expect(() => server.set('svc', { addr: '127.0.0.1', port: 0 })).toThrow(VsoaError);
    expect(() => server.set('svc', { addr: '127.0.0.1', port: 1, domain: 10 })).toThrow(VsoaError);
    expect(() => server.set('', { addr: '127.0.0.1', port: 1 })).toThrow(VsoaError);
    expect(() => new PositionServer({ table: { svc: { addr: '::1', port: 70000 } } })).toThrow(VsoaError);
  });

  it('ignores, counts and logs malformed queries, and answers the next good one', async () => {
    const logger = recordingLogger();
    const { server, port } = await startServer({ table: { svc: SVC }, logger });
    const bad = ['not json', '[1,2]', '"svc"', '{"domain":2}', '{"name":""}', '{"name":"svc","domain":"ipv4"}', Buffer.alloc(4096, 0x20)];
    let seen = 0;
    const allMalformed = collectUntil(server, 'malformed', () => ++seen === bad.length);
    const socket = await udpSocket();
    const answer = nextEvent<[Buffer, RemoteInfo]>(socket, 'message');
    for (const text of bad) socket.send(text, port, HOST);
    socket.send('{"name":"svc"}', port, HOST);
    expect(JSON.parse((await answer)[0].toString())).toEqual(SVC);
    expect(await allMalformed).toHaveLength(bad.length);
    expect(server.counters).toEqual({ queries: 1, answered: 1, unknown: 0, malformed: bad.length });
    expect(logger.warnings).toHaveLength(bad.length);
    expect(logger.warnings[0]).toMatch(/ignored: not JSON/);
  });

  it('uses only the first reply of onquery', async () => {
    const { server, port } = await startServer({
      onquery: (query, reply) => {
        reply({ ...SVC, name: query.name });
        reply(null);
      },
    });
    expect(JSON.parse(await rawQuery(port, '{"name":"svc"}'))).toEqual(SVC);
    expect(server.counters).toMatchObject({ answered: 1, unknown: 0 });
  });

  it('answers {} and logs when onquery throws, rejects or replies with a bad entry', async () => {
    const logger = recordingLogger();
    const hooks: Array<PositionServerOptions['onquery']> = [
      () => {
        throw new Error('boom');
      },
      async () => {
        throw new Error('async boom');
      },
      (query, reply) => reply({ ...SVC, addr: 'not-an-ip' }),
    ];
    for (const onquery of hooks) {
      const { port } = await startServer({ onquery, logger });
      expect(await rawQuery(port, '{"name":"svc"}')).toBe('{}');
    }
    expect(logger.warnings).toEqual([
      expect.stringContaining('boom'),
      expect.stringContaining('async boom'),
      expect.stringContaining('bad entry'),
    ]);
  });

  it('listens once, closes idempotently and forgets its address', async () => {
    const { server } = await startServer();
    await expect(server.listen({ host: HOST })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(server.address()).toBeNull();
  });

  it('rejects listen() when close() comes during the bind', async () => {
    const server = new PositionServer();
    const listening = server.listen({ host: HOST });
    await server.close();
    await expect(listening).rejects.toMatchObject({ code: 'CLOSED' });
    expect(server.address()).toBeNull();
  });

  it('serves over IPv6', async () => {
    const { port } = await startServer({ table: { svc: SVC } }, '::1');
    setPositionServer('::1', port);
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
  });
});

describe('lookup against a hand-made server', () => {
  const GOOD = JSON.stringify(SVC);

  it('ignores malformed answers and takes the good one that follows', async () => {
    const logger = recordingLogger();
    const fake = await FakePositionServer.start((self, _query, from) => {
      for (const text of ['garbage', '[]', '{"addr":"127.0.0.1"}', '{"addr":"host","port":1}', '{"addr":"127.0.0.1","port":99999}', GOOD]) {
        self.send(from, text);
      }
    });
    setPositionServer(HOST, fake.port);
    await expect(lookup('svc', { ...ISOLATED, logger })).resolves.toEqual(SVC);
    expect(logger.warnings).toHaveLength(5);
    expect(logger.warnings[0]).toMatch(/ignored: not JSON/);
  });

  it('ignores answers from any address but the server queried', async () => {
    const intruder = await udpSocket();
    const fake = await FakePositionServer.start((self, _query, from) => {
      intruder.send(JSON.stringify({ ...SVC, port: 6666 }), from.port, from.address);
      // Sent after the forged answer, so a client that took it would have it first.
      setImmediate(() => self.send(from, GOOD));
    });
    setPositionServer(HOST, fake.port);
    await expect(lookup('svc', ISOLATED)).resolves.toEqual(SVC);
  });

  it('sends the query again after retryInterval and takes the answer to the second', async () => {
    const fake = await FakePositionServer.start((self, _query, from) => {
      if (self.queries.length === 2) self.send(from, GOOD);
    });
    setPositionServer(HOST, fake.port);
    await expect(lookup('svc', { ...ISOLATED, domain: 2 })).resolves.toEqual(SVC);
    expect(fake.queries.map((q) => JSON.parse(q))).toEqual([
      { name: 'svc', domain: 2 },
      { name: 'svc', domain: 2 },
    ]);
  });

  it('gives up after tries × retryInterval with SERVER_NOT_FOUND', async () => {
    let seen = 0;
    const fake = await FakePositionServer.start();
    const allQueries = collectUntil(fake.socket, 'message', () => ++seen === 3);
    setPositionServer(HOST, fake.port);
    const started = Date.now();
    const error = await lookup('svc', { ...ISOLATED, tries: 3, retryInterval: 50 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 50 - 5);
    expect(error).toBeInstanceOf(VsoaConnectError);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('did not answer 3 queries within 150 ms') });
    await allQueries;
    expect(fake.queries).toEqual(['{"name":"svc"}', '{"name":"svc"}', '{"name":"svc"}']);
  });

  it('moves on at once from a server whose port is closed', async () => {
    const closed = createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, HOST, resolve));
    const closedPort = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { port } = await startServer({ table: { svc: SVC } });
    const started = Date.now();
    const env = { VSOA_POS_SERVER: `${HOST}:${closedPort},${HOST}:${port}` };
    await expect(lookup('svc', { ...ISOLATED, env, retryInterval: 5000 })).resolves.toEqual(SVC);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('lookup sources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsoa-pos-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A position server that answers `svc` with `port`, so the answer tells which server spoke. */
  async function serverAnswering(port: number | null): Promise<number> {
    return (await startServer(port === null ? {} : { table: { svc: { addr: '127.0.0.1', port } } })).port;
  }

  async function posFile(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('asks the server set in code, then VSOA_POS_SERVER, then the position file', async () => {
    const [inCode, inEnv, inFile] = await Promise.all([serverAnswering(1001), serverAnswering(1002), serverAnswering(1003)]);
    const options: LookupOptions = {
      ...ISOLATED,
      env: { VSOA_POS_SERVER: `${HOST}:${inEnv}` },
      posFile: await posFile('order.pos', `# position servers\n\n${HOST} ${inFile}\n`),
    };
    setPositionServer(HOST, inCode);
    await expect(lookup('svc', options)).resolves.toMatchObject({ port: 1001 });
    setPositionServer(null);
    await expect(lookup('svc', options)).resolves.toMatchObject({ port: 1002 });
    await expect(lookup('svc', { ...options, env: {} })).resolves.toMatchObject({ port: 1003 });
  });

  it('walks every server of VSOA_POS_SERVER, then of the file, until one knows the name', async () => {
    const [unknown1, unknown2, knows] = await Promise.all([serverAnswering(null), serverAnswering(null), serverAnswering(1004)]);
    const silent = await FakePositionServer.start();
    const options: LookupOptions = {
      ...ISOLATED,
      env: { VSOA_POS_SERVER: `${HOST}:${unknown1}, ${HOST}:${silent.port}` },
      posFile: await posFile('walk.pos', `${HOST} ${unknown2}\r\n${HOST} ${knows}\r\n`),
    };
    await expect(lookup('svc', options)).resolves.toMatchObject({ port: 1004 });
    expect(silent.queries).toHaveLength(2);
  });

  it('asks only the server set in code when there is one', async () => {
    const [inCode, inEnv] = await Promise.all([serverAnswering(null), serverAnswering(1002)]);
    setPositionServer(HOST, inCode);
    const error = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: `${HOST}:${inEnv}` } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining(`${HOST}:${inCode} does not know`) });
  });

  it('rejects with SERVER_NOT_FOUND saying so when no server is configured', async () => {
    const error = await lookup('svc', ISOLATED).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsoaConnectError);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('no position server configured') });
    expect((error as Error).message).toMatch(/VSOA_POS_SERVER unset, .*vsoa-no-such-file\.pos missing\)$/);
    const invalid = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: 'nowhere' } }).catch((e: unknown) => e);
    expect((invalid as Error).message).toContain('VSOA_POS_SERVER has no valid entry');
  });

  it('names every failed server in the error', async () => {
    const [unknown1, unknown2] = await Promise.all([serverAnswering(null), serverAnswering(null)]);
    const env = { VSOA_POS_SERVER: `${HOST}:${unknown1}` };
    const file = await posFile('fail.pos', `${HOST} ${unknown2}\n`);
    const error = await lookup('svc', { ...ISOLATED, env, posFile: file }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `position lookup of "svc" failed: ${HOST}:${unknown1} does not know the name; ${HOST}:${unknown2} does not know the name`,
    );
  });

  it('checks its arguments', async () => {
    await expect(lookup('', ISOLATED)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(lookup('svc', { ...ISOLATED, tries: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(lookup('svc', { ...ISOLATED, retryInterval: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => setPositionServer('localhost', 54)).toThrow(VsoaError);
    expect(() => setPositionServer(HOST, 0)).toThrow(VsoaError);
  });

  it('takes a bracketed IPv6 position server and asks it over IPv6', async () => {
    const { port } = await startServer({ table: { svc: { addr: '127.0.0.1', port: 1006 } } }, '::1');
    setPositionServer('[::1]', port);
    await expect(lookup('svc', ISOLATED)).resolves.toMatchObject({ addr: '127.0.0.1', port: 1006 });
  });
});

describe('position server lists', () => {
  it('reads VSOA_POS_SERVER entries, with port 54 when none is given', () => {
    const invalid: string[] = [];
    const servers = parsePositionServerList(
      '127.0.0.1:1234, 10.0.0.1 ,[::1]:99,[fe80::1],::1,2001:db8::1:77,host:1,1.2.3.4:0,1.2.3.4:70000,1.2.3.4:x,,',
      (entry) => invalid.push(entry),
    );
    expect(servers).toEqual([
      { host: '127.0.0.1', port: 1234 },
      { host: '10.0.0.1', port: DEFAULT_POSITION_PORT },
      { host: '::1', port: 99 },
      { host: 'fe80::1', port: 54 },
      { host: '::1', port: 54 },
      // Unbracketed, it is split at the last colon, as the official client does.
      { host: '2001:db8::1', port: 77 },
    ]);
    expect(invalid).toEqual(['host:1', '1.2.3.4:0', '1.2.3.4:70000', '1.2.3.4:x']);
  });

  it('reads position file lines, with port 54 when none is given', () => {
    const invalid: string[] = [];
    const text = [
      '# servers',
      '',
      '192.168.1.1 5454',
      '  10.0.0.2  ',
      '::1 60',
      '[::2]',
      '10.0.0.3 54 # main',
      'bad line here',
      'name 54',
      '\t',
    ].join('\r\n');
    expect(parsePositionFile(text, (line) => invalid.push(line))).toEqual([
      { host: '192.168.1.1', port: 5454 },
      { host: '10.0.0.2', port: 54 },
      { host: '::1', port: 60 },
      { host: '::2', port: 54 },
      { host: '10.0.0.3', port: 54 },
    ]);
    expect(invalid).toEqual(['bad line here', 'name 54']);
  });
});

describe('PositionServer: arguments, entries and sockets', () => {
  it('refuses null, with INVALID_ARGUMENT saying what it takes', () => {
    expect(() => new PositionServer(null as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'PositionServer takes an onquery function or an options object' }),
    );
  });

  it('says which entry set() refuses and why', () => {
    const server = new PositionServer();
    expect(() => server.set('svc', { addr: 'example.com', port: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'position entry "svc": address "example.com" is not an IP address' }),
    );
  });

  it('deletes the entry of one domain only, and says whether there was one', async () => {
    const { server, port } = await startServer({
      table: [
        { name: 'svc', addr: '127.0.0.1', port: 1 },
        { name: 'svc', addr: '::1', port: 2 },
      ],
    });
    expect(server.delete('svc', 10)).toBe(true);
    expect(server.delete('svc', 10)).toBe(false);
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":10}'))).toEqual({});
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":2}'))).toMatchObject({ port: 1 });
    expect(server.delete('SVC', 2)).toBe(true);
    expect(JSON.parse(await rawQuery(port, '{"name":"svc"}'))).toEqual({});
    expect(server.delete('svc')).toBe(false);
  });

  it('answers the entry of domain 2 when the IPv6 one comes first', async () => {
    const { port } = await startServer({
      table: [
        { name: 'svc', addr: '::1', port: 2 },
        { name: 'svc', addr: '127.0.0.1', port: 1 },
      ],
    });
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":2}'))).toMatchObject({ addr: '127.0.0.1', port: 1, domain: 2 });
    expect(JSON.parse(await rawQuery(port, '{"name":"svc"}'))).toMatchObject({ addr: '::1', domain: 10 });
  });

  it('binds the host and port asked for, and every IPv4 address by default', async () => {
    const probe = await udpSocket();
    const wanted = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    teardowns.pop();
    const { server } = await startServer({}, HOST);
    expect(server.address()).toMatchObject({ address: HOST });
    const fixed = new PositionServer();
    teardowns.push(() => fixed.close());
    await fixed.listen({ host: HOST, port: wanted });
    expect(fixed.address()).toEqual({ address: HOST, family: 'IPv4', port: wanted });
    const any = new PositionServer();
    teardowns.push(() => any.close());
    await any.listen();
    expect(any.address()).toMatchObject({ address: '0.0.0.0' });
  });

  it('rejects listen() on a port taken, and can listen again afterwards', async () => {
    const { port } = await startServer();
    const second = new PositionServer();
    teardowns.push(() => second.close());
    await expect(second.listen({ host: HOST, port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(second.address()).toBeNull();
    await second.listen({ host: HOST, port: 0 });
    expect(second.address()?.port).toBeGreaterThan(0);
  });

  it('says why listen() is refused', async () => {
    const { server } = await startServer();
    await expect(server.listen({ host: HOST })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'position server is already listening' }),
    );
    const binding = new PositionServer();
    const listening = binding.listen({ host: HOST });
    await binding.close();
    await expect(listening).rejects.toThrow(expect.objectContaining({ code: 'CLOSED', message: 'position server closed while binding' }));
  });

  it('reads a null domain as none, and says why each bad query is ignored', async () => {
    const { server, port } = await startServer({ table: { svc: SVC } });
    const tooBig = JSON.stringify({ name: 'svc', pad: 'x'.repeat(2100) });
    const bad = ['null', '[{"name":"svc"}]', '5', '{"name":5}', '{"name":"svc","domain":"2"}', tooBig];
    let seen = 0;
    const reasons = collectUntil<[string]>(server, 'malformed', () => ++seen === bad.length);
    const socket = await udpSocket();
    for (const text of bad) socket.send(text, port, HOST);
    expect((await reasons).map(([reason]) => reason)).toEqual([
      'not a JSON object',
      'not a JSON object',
      'not a JSON object',
      'no name',
      'domain is not a number',
      `too big (${tooBig.length} bytes)`,
    ]);
    expect(JSON.parse(await rawQuery(port, '{"name":"svc","domain":null}'))).toEqual(SVC);
  });

  it('takes a reply of undefined as unknown, without a warning', async () => {
    const logger = recordingLogger();
    const { port } = await startServer({ onquery: (_query, reply) => reply(undefined as never), logger });
    expect(await rawQuery(port, '{"name":"svc"}')).toBe('{}');
    expect(logger.warnings).toEqual([]);
  });

  it('logs a second reply at debug level, and does not reply again for a hook that throws after replying', async () => {
    const logger = recordingLogger();
    const twice = await startServer({
      onquery: (query, reply) => {
        reply({ ...SVC, name: query.name });
        reply(null);
      },
      logger,
    });
    expect(JSON.parse(await rawQuery(twice.port, '{"name":"svc"}'))).toEqual(SVC);
    expect(logger.debugs).toEqual(['position query "svc": second reply ignored']);

    const quiet = recordingLogger();
    const thrower = await startServer({
      onquery: (query, reply) => {
        reply({ ...SVC, name: query.name });
        throw new Error('after the reply');
      },
      logger: quiet,
    });
    expect(JSON.parse(await rawQuery(thrower.port, '{"name":"svc"}'))).toEqual(SVC);
    expect(quiet.warnings).toEqual(['position query "svc": onquery failed: after the reply']);
    expect(quiet.debugs).toEqual([]);
    expect(thrower.server.counters).toMatchObject({ answered: 1, unknown: 0 });
  });

  it('drops a reply that comes after close()', async () => {
    let later: ((entry: PositionEntry | null) => void) | undefined;
    const { server, port } = await startServer({ onquery: (_query, reply) => (later = reply) });
    const socket = await udpSocket();
    const asked = nextEvent(server, 'query');
    socket.send('{"name":"svc"}', port, HOST);
    await asked;
    await server.close();
    expect(() => later!(SVC)).not.toThrow();
    expect(server.counters).toEqual({ queries: 1, answered: 0, unknown: 0, malformed: 0 });
  });
});

describe('lookup: what it says when it fails', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsoa-pos-fail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function unknownServer(host = HOST): Promise<number> {
    return (await startServer({}, host)).port;
  }

  it('reads /etc/vsoa.pos by default', () => {
    if (process.platform !== 'win32') expect(DEFAULT_POSITION_FILE).toBe('/etc/vsoa.pos');
  });

  it('names the server of VSOA_POS_SERVER that does not know the name, and no missing file', async () => {
    const port = await unknownServer();
    const error = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: `${HOST}:${port}` } }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: ${HOST}:${port} does not know the name`);
  });

  it('names the servers of the file alone when VSOA_POS_SERVER is unset', async () => {
    const port = await unknownServer();
    const file = join(dir, 'one.pos');
    await writeFile(file, `${HOST} ${port}\n`);
    const error = await lookup('svc', { ...ISOLATED, posFile: file }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: ${HOST}:${port} does not know the name`);
  });

  it('names an IPv6 server in brackets', async () => {
    const port = await unknownServer('::1');
    setPositionServer('::1', port);
    const error = await lookup('svc', ISOLATED).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: [::1]:${port} does not know the name`);
  });

  it('says a file that cannot be read is unreadable, after the servers of VSOA_POS_SERVER', async () => {
    const port = await unknownServer();
    const error = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: `${HOST}:${port}` }, posFile: dir }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `position lookup of "svc" failed: ${HOST}:${port} does not know the name; ${dir} unreadable (EISDIR: illegal operation on a directory, read)`,
    );
    const alone = await lookup('svc', { ...ISOLATED, posFile: dir }).catch((e: unknown) => e);
    expect((alone as Error).message).toBe(
      `position lookup of "svc" failed: no position server configured (setPositionServer() not called, VSOA_POS_SERVER unset, ` +
        `${dir} unreadable (EISDIR: illegal operation on a directory, read))`,
    );
  });

  it('says a file without a valid line has none, and warns about each bad line and entry', async () => {
    const logger = recordingLogger();
    const file = join(dir, 'bad.pos');
    await writeFile(file, '# nothing here\n  not-an-address 54  \n');
    const error = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: ' nowhere ' }, posFile: file, logger }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(
      `position lookup of "svc" failed: no position server configured (setPositionServer() not called, ` +
        `VSOA_POS_SERVER has no valid entry, ${file} has no valid line)`,
    );
    expect(logger.warnings).toEqual(['VSOA_POS_SERVER: ignoring bad entry "nowhere"', `${file}: ignoring bad line "not-an-address 54"`]);
  });

  it('takes a VSOA_POS_SERVER of blanks as unset', async () => {
    const error = await lookup('svc', { ...ISOLATED, env: { VSOA_POS_SERVER: '   ' } }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('(setPositionServer() not called, VSOA_POS_SERVER unset, ');
  });

  it('says a server that does not answer its only query did not', async () => {
    const fake = await FakePositionServer.start();
    setPositionServer(HOST, fake.port);
    const error = await lookup('svc', { ...ISOLATED, tries: 1, retryInterval: 50 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: ${HOST}:${fake.port} did not answer 1 query within 50 ms`);
    expect(fake.queries).toEqual(['{"name":"svc"}']);
  });

  it('says a closed port is unreachable', async () => {
    const closed = await udpSocket();
    const port = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    teardowns.pop();
    setPositionServer(HOST, port);
    const error = await lookup('svc', { ...ISOLATED, retryInterval: 2000 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: ${HOST}:${port} is unreachable: recvmsg ECONNREFUSED`);
  });

  it('says a query that cannot be sent could not be, at once', async () => {
    const fake = await FakePositionServer.start();
    setPositionServer(HOST, fake.port);
    const error = await lookup('x'.repeat(70_000), { ...ISOLATED, retryInterval: 2000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND' });
    expect((error as Error).message).toMatch(new RegExp(`: ${HOST}:${fake.port} cannot be sent to: send EMSGSIZE$`));
  });

  it('says a server that cannot be reached, such as the broadcast address, could not be', async () => {
    setPositionServer('255.255.255.255', 54);
    const error = await lookup('svc', { ...ISOLATED, retryInterval: 2000 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^position lookup of "svc" failed: 255\.255\.255\.255:54 cannot be reached: connect EACCES/);
  });

  it('reads an empty answer as "unknown", as the official client does', async () => {
    const fake = await FakePositionServer.start((self, _query, from) => self.send(from, ''));
    setPositionServer(HOST, fake.port);
    const error = await lookup('svc', { ...ISOLATED, retryInterval: 2000 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`position lookup of "svc" failed: ${HOST}:${fake.port} does not know the name`);
  });

  it('bounds the warnings of a flood of bad answers', async () => {
    const logger = recordingLogger();
    const fake = await FakePositionServer.start((self, _query, from) => {
      for (let i = 0; i < 15; i++) self.send(from, 'garbage');
      self.send(from, JSON.stringify(SVC));
    });
    setPositionServer(HOST, fake.port);
    await expect(lookup('svc', { ...ISOLATED, logger })).resolves.toEqual(SVC);
    expect(logger.warnings.length).toBeGreaterThan(0);
    expect(logger.warnings.length).toBeLessThan(15);
  });
});

describe('lookup and setPositionServer: arguments', () => {
  it('says what is wrong with a position server set in code', () => {
    expect(() => setPositionServer('localhost', 54)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'position server host must be an IP address: "localhost"' }),
    );
    expect(() => setPositionServer(HOST, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'bad position server port: 0' }),
    );
    expect(() => setPositionServer(HOST, 65536)).toThrow(VsoaError);
    expect(() => setPositionServer(HOST, undefined as never)).toThrow(VsoaError);
    // Brackets come off only as a pair.
    expect(() => setPositionServer('[1.2.3.45', 54)).toThrow(VsoaError);
    expect(() => setPositionServer('11.2.3.4]', 54)).toThrow(VsoaError);
    expect(() => setPositionServer(HOST, 1)).not.toThrow();
    expect(() => setPositionServer('[::1]', 65535)).not.toThrow();
  });

  it('says what is wrong with the name and options of a lookup', async () => {
    for (const name of ['', 5 as never]) {
      await expect(lookupPosition(name, ISOLATED)).rejects.toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'lookup needs a non-empty name' }),
      );
    }
    await expect(lookup('svc', { ...ISOLATED, domain: 3 as never })).rejects.toThrow(
      expect.objectContaining({ message: 'lookup domain must be 2, 10 or -1 (any), not 3' }),
    );
    await expect(lookup('svc', { ...ISOLATED, tries: 1.5 })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'lookup tries must be a positive integer: 1.5' }),
    );
    await expect(lookup('svc', { ...ISOLATED, retryInterval: 0 })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'lookup retryInterval must be a positive number of ms: 0' }),
    );
  });

  it("asks for any family with the literal -1, as the seed's vsoa.lookup(name, -1)", async () => {
    const { port } = await startServer({ table: [{ name: 'svc', addr: '::1', port: 3006 }] });
    setPositionServer(HOST, port);
    await expect(lookup('svc', { ...ISOLATED, domain: -1 })).resolves.toMatchObject({ addr: '::1' });
  });
});

describe('position server lists: edge cases', () => {
  it('reads lines split by LF or CRLF, fields by any run of blanks', () => {
    expect(parsePositionFile('10.0.0.1 1\n10.0.0.2\t \t2\r\n[::1] 3')).toEqual([
      { host: '10.0.0.1', port: 1 },
      { host: '10.0.0.2', port: 2 },
      { host: '::1', port: 3 },
    ]);
  });

  it('refuses a line with more than an address and a port, a port not in decimal, or half a bracket pair', () => {
    const invalid: string[] = [];
    const text = [
      '10.0.0.1 54 extra',
      '  10.0.0.1 0x50  ',
      '10.0.0.1 1e3',
      '10.0.0.1 123456',
      '[1.2.3.45 54',
      '11.2.3.4] 54',
      '10.0.0.1 1',
    ].join('\n');
    expect(parsePositionFile(text, (line) => invalid.push(line))).toEqual([{ host: '10.0.0.1', port: 1 }]);
    expect(invalid).toEqual(['10.0.0.1 54 extra', '10.0.0.1 0x50', '10.0.0.1 1e3', '10.0.0.1 123456', '[1.2.3.45 54', '11.2.3.4] 54']);
  });

  it('refuses list entries with text around the brackets or a port not in decimal', () => {
    const invalid: string[] = [];
    const servers = parsePositionServerList('x[::1]:99,[::1]:1:2,1.2.3.4:0x50,1.2.3.4:1e3,1.2.3.4: 80,1.2.3.4:1,[::1]:65535', (entry) =>
      invalid.push(entry),
    );
    expect(servers).toEqual([
      { host: '1.2.3.4', port: 1 },
      { host: '::1', port: 65535 },
    ]);
    expect(invalid).toEqual(['x[::1]:99', '[::1]:1:2', '1.2.3.4:0x50', '1.2.3.4:1e3', '1.2.3.4: 80']);
  });
});
