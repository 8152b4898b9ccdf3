import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VsoaLogger } from '../logger';
import type { LookupOptions, PositionAnswer } from '../position/position-types';
import { PositionServer } from '../position/position-server';
import type { RemoteClient } from '../server/remote-client';
import { VsoaServer } from '../server/server';
import type { VsoaServerOptions } from '../server/types';
import { DnsServer, poolRecords } from '../../../../test/helpers/dns-server';
import { nextEvent } from '../../../../test/helpers/events';
import { linked } from '../../../../test/helpers/replicas';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { VsoaReplicas } from './replicas';

const HOST = '127.0.0.1';
const NO_FILE = join(tmpdir(), 'vsoa-no-such-file.pos');
const teardowns = teardownsAfterEach();

/** A logger that keeps its warnings; `warned()` resolves at the next one. */
function recordingLogger(): VsoaLogger & { warnings: string[]; warned: () => Promise<string> } {
  const warnings: string[] = [];
  const waiting: Array<(message: string) => void> = [];
  return {
    warnings,
    warned: () => new Promise((resolve) => waiting.push(resolve)),
    debug: () => undefined,
    warn: (message) => {
      warnings.push(message);
      for (const resolve of waiting.splice(0)) resolve(message);
    },
  };
}

/** A server answering '/who' with its name. */
async function server(name: string, host = HOST, options: VsoaServerOptions = {}): Promise<VsoaServer> {
  const vsoa = new VsoaServer({ ...options, info: { name } });
  vsoa.command('/who', (cli, req) => cli.reply(req.seqno, { param: name }));
  await vsoa.listen({ host, port: 0 });
  teardowns.push(() => vsoa.close());
  return vsoa;
}

function address(vsoa: VsoaServer, host = HOST): string {
  const port = vsoa.address()!.port;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A position server whose answers for `svc` the test decides, query by query. */
async function position(answer: (query: number) => PositionAnswer | null): Promise<{ lookup: LookupOptions; queries: () => number }> {
  let queries = 0;
  const pos = new PositionServer((_query, reply) => reply(answer(++queries)));
  await pos.listen({ host: HOST, port: 0 });
  teardowns.push(() => pos.close());
  const lookup: LookupOptions = {
    sources: ['position'],
    env: { VSOA_POS_SERVER: `${HOST}:${pos.address()!.port}` },
    posFile: NO_FILE,
    retryInterval: 200,
  };
  return { lookup, queries: () => queries };
}

function entryOf(vsoa: VsoaServer, host = HOST): PositionAnswer {
  return { addr: host, port: vsoa.address()!.port };
}

function newReplicas(logger?: VsoaLogger): VsoaReplicas {
  const replicas = new VsoaReplicas({ timeout: 2000, logger });
  teardowns.push(() => replicas.close());
  return replicas;
}

/** The next client `vsoa` accepts. */
function nextClient(vsoa: VsoaServer): Promise<RemoteClient> {
  return nextEvent<[RemoteClient, boolean]>(vsoa, 'client', (_cli, connected) => connected).then(([cli]) => cli);
}

/** A pool of one replica, alpha, linked; with alpha's side of the link. */
async function linkedToAlpha(): Promise<{ alpha: VsoaServer; replicas: VsoaReplicas; cli: RemoteClient }> {
  const alpha = await server('alpha');
  const { lookup } = await position(() => entryOf(alpha));
  const replicas = newReplicas();
  const accepted = nextClient(alpha);
  await replicas.start('vsoa://svc', { lookup });
  await linked(replicas, 1);
  return { alpha, replicas, cli: await accepted };
}

describe('VsoaReplicas with one replica', () => {
  it('is linked once its replica is, and says so; unlinked, it refuses calls and datagrams', async () => {
    const alpha = await server('alpha');
    const { lookup } = await position(() => entryOf(alpha));
    const replicas = newReplicas();
    await replicas.start('vsoa://svc', { lookup, reconnDelay: 100 });
    expect(replicas.connected).toBe(false);
    expect(replicas.pick()).toBeNull();
    expect(replicas.replicas()).toEqual([{ address: address(alpha), connected: false }]);

    const [linkedAt] = await nextEvent<[string, unknown]>(replicas, 'connect');
    expect(linkedAt).toBe(address(alpha));
    expect(replicas.connected).toBe(true);
    expect(replicas.replicas()).toEqual([{ address: address(alpha), connected: true }]);
    expect((await replicas.fetch('/who')).payload.param).toBe('alpha');

    const at = address(alpha);
    const dropped = nextEvent<[string, Error?]>(replicas, 'disconnect');
    await alpha.close();
    expect((await dropped)[0]).toBe(at);
    expect(replicas.connected).toBe(false);
    expect(replicas.pick()).toBeNull();
    await expect(replicas.fetch('/who')).rejects.toThrow(
      expect.objectContaining({ code: 'NOT_CONNECTED', message: 'RPC /who: no replica of svc is linked' }),
    );
    expect(replicas.datagram('/up')).toBe(false);
  });

  it('starts once', async () => {
    const alpha = await server('alpha');
    const { lookup } = await position(() => entryOf(alpha));
    const replicas = newReplicas();
    await replicas.start('vsoa://svc', { lookup });
    await expect(replicas.start('vsoa://svc', { lookup })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'replicas already started' }),
    );
  });

  it('links an IPv6 replica at [addr]:port', async () => {
    const six = await server('six', '::1');
    const { lookup } = await position(() => entryOf(six, '::1'));
    const replicas = newReplicas();
    await replicas.start('vsoa://svc', { lookup });
    await linked(replicas, 1);
    expect(replicas.replicas()).toEqual([{ address: address(six, '::1'), connected: true }]);
    expect((await replicas.fetch('/who')).payload.param).toBe('six');
  });

  it('passes datagrams both ways and forwards publishes', async () => {
    const { alpha, replicas, cli } = await linkedToAlpha();

    const down = nextEvent<[string, unknown, boolean]>(replicas, 'datagram');
    cli.datagram('/down', { param: { n: 1 } });
    expect(await down).toEqual(['/down', expect.objectContaining({ param: { n: 1 } }), false]);

    const up = nextEvent<[RemoteClient, string, unknown, boolean]>(alpha, 'datagram');
    expect(replicas.datagram('/up', { param: { n: 2 } })).toBe(true);
    const [, url, payload] = await up;
    expect(url).toBe('/up');
    expect(payload).toMatchObject({ param: { n: 2 } });

    await replicas.subscribe('/news');
    const message = nextEvent<[string, unknown, boolean]>(replicas, 'message');
    alpha.publish('/news', { param: 'hello' });
    expect(await message).toEqual(['/news', expect.objectContaining({ param: 'hello' }), false]);
  });

  it('stops what it unsubscribes from, one URL or a list', async () => {
    const alpha = await server('alpha');
    const { lookup } = await position(() => entryOf(alpha));
    const replicas = newReplicas();
    await replicas.start('vsoa://svc', { lookup });
    await linked(replicas, 1);
    await replicas.subscribe(['/a', '/b', '/c']);
    await replicas.unsubscribe('/a');
    await replicas.unsubscribe(['/b']);
    const got: string[] = [];
    const last = new Promise<void>((resolve) =>
      replicas.on('message', (url) => {
        got.push(url);
        if (url === '/c') resolve();
      }),
    );
    alpha.publish('/a', { param: 1 });
    alpha.publish('/b', { param: 2 });
    alpha.publish('/c', { param: 3 });
    await last;
    expect(got).toEqual(['/c']);
  });

  it('sends what was subscribed before the replica linked once it links, and nothing when there is nothing', async () => {
    const logger = recordingLogger();
    const alpha = await server('alpha');
    const { lookup } = await position(() => entryOf(alpha));
    const replicas = newReplicas(logger);
    const subscribedOnServer = nextClient(alpha).then((cli) => nextEvent<[string[]]>(cli, 'subscribe'));
    await replicas.start('vsoa://svc', { lookup });
    await replicas.subscribe('/news');
    expect((await subscribedOnServer)[0]).toEqual(['/news']);
    const message = nextEvent<[string]>(replicas, 'message');
    alpha.publish('/news', { param: 'x' });
    expect((await message)[0]).toBe('/news');

    const quiet = newReplicas(logger);
    await quiet.start('vsoa://svc', { lookup });
    await linked(quiet, 1);
    expect((await quiet.fetch('/who')).payload.param).toBe('alpha');
    expect(logger.warnings).toEqual([]);
  });

  it('warns when a replica refuses what was subscribed before it linked', async () => {
    const logger = recordingLogger();
    const strict = await server('strict', HOST, { maxSubscriptions: 1 });
    const { lookup } = await position(() => entryOf(strict));
    const replicas = newReplicas(logger);
    await replicas.start('vsoa://svc', { lookup });
    await replicas.subscribe(['/a', '/b']);
    const warned = logger.warned();
    await linked(replicas, 1);
    expect(await warned).toMatch(new RegExp(`^replica ${address(strict)}: subscribe failed: subscribe /[ab] failed`));
  });

  it('follows the name: emits the new replicas only when they change, and closes the one gone', async () => {
    const [alpha, beta] = [await server('alpha'), await server('beta')];
    // alpha for the first lookup and the first refresh, beta from the second refresh on.
    const { lookup } = await position((query) => entryOf(query <= 2 ? alpha : beta));
    const replicas = newReplicas();
    const changes: string[][] = [];
    replicas.on('replicas', (addresses) => changes.push(addresses));
    const alphaClient = nextClient(alpha);
    await replicas.start('vsoa://svc', { lookup, refresh: 50 });
    const left = nextEvent(await alphaClient, 'close');
    await nextEvent(replicas, 'replicas', (addresses: string[]) => addresses[0] === address(beta));
    expect(changes).toEqual([[address(alpha)], [address(beta)]]);
    await left;
    await linked(replicas, 1);
    expect((await replicas.fetch('/who')).payload.param).toBe('beta');
  });

  it('keeps its replicas, warns and emits lookupError when a refresh fails', async () => {
    const logger = recordingLogger();
    const alpha = await server('alpha');
    const { lookup } = await position((query) => (query === 1 ? entryOf(alpha) : null));
    const replicas = newReplicas(logger);
    await replicas.start('vsoa://svc', { lookup, refresh: 50 });
    const [error] = await nextEvent<[Error]>(replicas, 'lookupError');
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND' });
    expect(logger.warnings[0]).toBe(`replicas of svc: lookup failed: ${error.message}`);
    expect(replicas.replicas()).toEqual([{ address: address(alpha), connected: expect.any(Boolean) }]);
  });

  it('closes every link, and stops following the name', async () => {
    const { alpha, replicas, cli } = await linkedToAlpha();
    const gone = nextEvent(cli, 'close');
    await replicas.close();
    expect(replicas.replicas()).toEqual([]);
    expect(replicas.connected).toBe(false);
    await gone;
    expect(alpha.count).toBe(0);
  });

  it('links nothing and follows nothing when closed during its first lookup', async () => {
    const alpha = await server('alpha');
    const { lookup } = await position(() => entryOf(alpha));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const replicas = newReplicas();
      const started = replicas.start('vsoa://svc', { lookup, refresh: 50 });
      await replicas.close();
      await started;
      expect(replicas.replicas()).toEqual([]);
      // No refresh timer is left behind.
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('VsoaReplicas with several replicas (DNS)', () => {
  async function pool(servers: VsoaServer[]): Promise<LookupOptions> {
    const dns = await DnsServer.start(
      poolRecords(
        'pool.test',
        servers.map((vsoa) => vsoa.address()!.port),
      ),
    );
    teardowns.push(() => dns.stop());
    return { sources: ['dns'], env: {}, dnsSearch: { domains: [] } };
  }

  it('takes turns over the replicas still linked, and (un)subscribes only on those', async () => {
    const servers = [await server('r0'), await server('r1'), await server('r2')];
    const lookup = await pool(servers);
    const replicas = newReplicas();
    await replicas.start('vsoa://pool.test', { lookup, reconnDelay: 100 });
    await linked(replicas, 3);
    const down = nextEvent(replicas, 'disconnect');
    await servers[1].close();
    await down;

    const answers: unknown[] = [];
    for (let i = 0; i < 6; i++) answers.push((await replicas.fetch('/who')).payload.param);
    expect(answers.filter((who) => who === 'r0')).toHaveLength(3);
    expect(answers.filter((who) => who === 'r2')).toHaveLength(3);
    for (let i = 1; i < answers.length; i++) expect(answers[i]).not.toBe(answers[i - 1]);

    await expect(replicas.subscribe('/news')).resolves.toBeUndefined();
    await expect(replicas.unsubscribe('/news')).resolves.toBeUndefined();
  });
});
