/**
 * Where `connect('vsoa://…')` goes: an address as it is, a service name through a position
 * server or DNS SRV (every server in turn), an unknown name with a port as a plain DNS host
 * name. DNS is a real dnsmasq on 127.0.0.1 (test/helpers/dns-server.ts); servers are real.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VsoaLogger } from '../logger';
import { PositionServer } from '../position';
import type { LookupOptions } from '../position/position-types';
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { DnsRecords, DnsServer } from '../../../../test/helpers/dns-server';
import { FakeServer } from '../../../../test/helpers/fake-server';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { RecordingLogger } from '../../../../test/helpers/recording-logger';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();

/** Off the machine's env, position file and search domains, with quick retries. */
const ISOLATED: LookupOptions = {
  env: {},
  posFile: join(tmpdir(), 'vsoa-no-such-file.pos'),
  retryInterval: 100,
  tries: 1,
  dnsSearch: { domains: [] },
};

function newClient(logger?: VsoaLogger): VsoaClient {
  const client = new VsoaClient({ timeout: 3000, logger });
  teardowns.push(() => client.close());
  return client;
}

async function startServer(info: string): Promise<number> {
  const server = new VsoaServer({ info });
  teardowns.push(() => server.close());
  await server.listen({ host: HOST, port: 0 });
  return server.address()!.port;
}

/** A port where nothing listens (any more). */
async function deadPort(): Promise<number> {
  const fake = new FakeServer();
  const port = await fake.listen();
  await fake.close();
  return port;
}

async function startDns(records: DnsRecords): Promise<void> {
  const dns = await DnsServer.start(records);
  teardowns.push(() => dns.stop());
}

describe('connect: where a URL leads', () => {
  it('needs a port with an address or localhost', async () => {
    await expect(newClient().connect('vsoa://127.0.0.1')).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      message: 'no port in vsoa://127.0.0.1',
    });
    await expect(newClient().connect('vsoa://localhost/x')).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      message: 'no port in vsoa://localhost/x',
    });
  });

  it('tries every server of a name in turn, logging each failure at debug level', async () => {
    const dead = await deadPort();
    const live = await startServer('second');
    await startDns({
      srv: [
        { name: '_vsoa._tcp.svc.test', target: 'one.svc.test', port: dead, priority: 1, weight: 0 },
        { name: '_vsoa._tcp.svc.test', target: 'two.svc.test', port: live, priority: 2, weight: 0 },
      ],
      hosts: { 'one.svc.test': HOST, 'two.svc.test': HOST },
    });
    const logger = new RecordingLogger();
    await expect(newClient(logger).connect('vsoa://svc.test', { lookup: ISOLATED })).resolves.toBe('second');
    expect(logger.debugs).toEqual([expect.stringMatching(new RegExp(`^connect to ${HOST}:${dead} \\(vsoa://svc\\.test\\) failed: `))]);
  });

  it('logs nothing of its own when the one server of a URL fails: the error says it', async () => {
    const dead = await deadPort();
    const logger = new RecordingLogger();
    await expect(newClient(logger).connect(`vsoa://${HOST}:${dead}`)).rejects.toMatchObject({ code: 'CONNECT_ERROR' });
    expect(logger.debugs).toEqual([]);
  });

  it('takes a name no source knows, given with a port, as a DNS host name', async () => {
    const port = await startServer('plain');
    await startDns({ hosts: { 'plain.test': HOST } });
    await expect(newClient().connect(`vsoa://plain.test:${port}`, { lookup: ISOLATED })).resolves.toBe('plain');
    await expect(newClient().connect(`vsoa://nowhere.test:${port}`, { lookup: ISOLATED })).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      message: expect.stringMatching(/; nor is nowhere\.test a DNS host name$/),
    });
    // Without a port a name must be a service: DNS host names are not tried.
    await expect(newClient().connect('vsoa://plain.test', { lookup: ISOLATED })).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      message: expect.not.stringMatching(/DNS host name/),
    });
  });

  it('needs tls options for a service the position server marks secure, and uses them', async () => {
    const position = new PositionServer();
    teardowns.push(() => position.close());
    await position.listen({ host: HOST, port: 0 });
    const dead = await deadPort();
    position.set('safe', { addr: HOST, port: dead, security: true });
    const lookup: LookupOptions = { ...ISOLATED, sources: ['position'], env: { VSOA_POS_SERVER: `${HOST}:${position.address()!.port}` } };
    await expect(newClient().connect('vsoa://safe', { lookup })).rejects.toMatchObject({
      code: 'SSL_HS_FAILED',
      message: 'safe requires a secure connection: pass tls options',
    });
    // With tls options it goes there (and finds nothing listening).
    await expect(newClient().connect('vsoa://safe', { lookup, tls: {} })).rejects.toMatchObject({
      code: 'CONNECT_ERROR',
      cause: { code: 'ECONNREFUSED' },
    });
  });
});
