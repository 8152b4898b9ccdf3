/**
 * Names from DNS, against a real DNS server (dnsmasq): `_vsoa._tcp.<name>` SRV records, lowest
 * priority first, failover to the next record, and no position server configured anywhere.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lookup, lookupAll, VsoaClient, VsoaReplicas, VsoaServer } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { orderSrv } from '../../libs/vsoa-core/src/naming/dns-srv';
import { firstValueFrom } from 'rxjs';
import { ClientVsoa } from '@vsoa/nestjs';
import { DnsServer, poolRecords } from '../helpers/dns-server';
import { nextEvent } from '../helpers/events';
import { linked } from '../helpers/replicas';
import { teardownsAfterEach } from '../helpers/teardowns';

const teardowns = teardownsAfterEach();
/** No position server from code, env or file: only DNS can answer. */
const NO_POSITION: LookupOptions = { env: {}, posFile: join(tmpdir(), 'vsoa-no-such-file.pos') };

async function server(name: string): Promise<VsoaServer> {
  const vsoa = new VsoaServer({ info: { name } });
  vsoa.command('/who', (cli, req) => cli.reply(req.seqno, { param: name }));
  await vsoa.listen({ host: '127.0.0.1', port: 0 });
  teardowns.push(() => vsoa.close());
  return vsoa;
}

/** Two servers behind `lights.test`: primary at priority 10, standby at 20. */
async function primaryAndStandby(): Promise<{ primary: VsoaServer; standby: VsoaServer }> {
  const [primary, standby] = [await server('primary'), await server('standby')];
  const dns = await DnsServer.start({
    srv: [
      { name: '_vsoa._tcp.lights.test', target: 'a.lights.test', port: primary.address()!.port, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.lights.test', target: 'b.lights.test', port: standby.address()!.port, priority: 20, weight: 0 },
    ],
    hosts: { 'a.lights.test': '127.0.0.1', 'b.lights.test': '127.0.0.1' },
  });
  teardowns.push(() => dns.stop());
  return { primary, standby };
}

describe('names from DNS SRV records', () => {
  it('looks a name up with no position server: the priority-10 target first, then priority 20', async () => {
    const { primary, standby } = await primaryAndStandby();
    await expect(lookup('lights.test', NO_POSITION)).resolves.toMatchObject({
      name: 'lights.test',
      addr: '127.0.0.1',
      port: primary.address()!.port,
      domain: 2,
    });
    expect((await lookupAll('lights.test', NO_POSITION)).map((entry) => entry.port)).toEqual([
      primary.address()!.port,
      standby.address()!.port,
    ]);
  });

  it('connects to vsoa://lights.test, and fails fast and clearly for a name found nowhere', async () => {
    await primaryAndStandby();
    const client = new VsoaClient({ timeout: 2000 });
    teardowns.push(() => client.close());
    await expect(client.connect('vsoa://lights.test', { lookup: NO_POSITION })).resolves.toEqual({ name: 'primary' });
    const started = Date.now();
    const error = await new VsoaClient().connect('vsoa://nowhere.test', { lookup: NO_POSITION }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND', message: expect.stringContaining('_vsoa._tcp.nowhere.test') });
  });

  it('moves a robot to the priority-20 server within seconds of the first one closing; calls in flight fail at once', async () => {
    const { primary } = await primaryAndStandby();
    primary.command('/never', () => undefined);
    const client = new VsoaClient({ timeout: 5000 });
    teardowns.push(() => client.close());
    const first = nextEvent<[unknown]>(client, 'connect');
    client.robot('vsoa://lights.test', { lookup: NO_POSITION, reconnDelay: 100, keepalive: 500 });
    expect((await first)[0]).toEqual({ name: 'primary' });
    const inFlight = client.fetch('/never');
    const moved = nextEvent<[unknown]>(client, 'connect', () => true, 5000);
    const started = Date.now();
    await primary.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'CLOSED' });
    expect((await moved)[0]).toEqual({ name: 'standby' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await client.fetch('/who')).payload.param).toBe('standby');
  });

  it('asks DNS first when told to, by option or VSOA_NAME_SOURCES', async () => {
    const { primary } = await primaryAndStandby();
    // A position source that cannot answer (its server is unreachable) is not waited for when DNS comes first.
    const slowPosition: LookupOptions = { env: { VSOA_POS_SERVER: '127.0.0.1:1' }, posFile: NO_POSITION.posFile, retryInterval: 2000 };
    const started = Date.now();
    await expect(lookup('lights.test', { ...slowPosition, sources: ['dns', 'position'] })).resolves.toMatchObject({
      port: primary.address()!.port,
    });
    await expect(
      lookup('lights.test', { ...slowPosition, env: { ...slowPosition.env, VSOA_NAME_SOURCES: 'dns,position' } }),
    ).resolves.toMatchObject({
      port: primary.address()!.port,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(lookup('lights.test', { sources: ['bogus' as never] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('SRV names: templates and search domains', () => {
  it("asks Consul's SRV name with srvName, and a short name in the search domains first, as Kubernetes' resolv.conf says", async () => {
    const vsoa = await server('consul-or-k8s');
    const port = vsoa.address()!.port;
    const dns = await DnsServer.start({
      srv: [
        { name: 'lights.service.consul', target: 'node1.node.consul', port, priority: 1, weight: 1 },
        { name: '_vsoa._tcp.lights.default.svc.cluster.test', target: 'pod1.cluster.test', port, priority: 0, weight: 100 },
      ],
      hosts: { 'node1.node.consul': '127.0.0.1', 'pod1.cluster.test': '127.0.0.1' },
    });
    teardowns.push(() => dns.stop());
    const noSearch = { domains: [] };
    await expect(lookup('lights', { ...NO_POSITION, srvName: '{name}.service.consul', dnsSearch: noSearch })).resolves.toMatchObject({
      port,
    });
    await expect(
      lookup('lights', { ...NO_POSITION, env: { VSOA_SRV_NAME: '{name}.service.consul' }, dnsSearch: noSearch }),
    ).resolves.toMatchObject({ port });
    const kubernetes = { domains: ['default.svc.cluster.test', 'svc.cluster.test', 'cluster.test'], ndots: 5 };
    await expect(lookup('lights', { ...NO_POSITION, dnsSearch: kubernetes })).resolves.toMatchObject({ name: 'lights', port });
    const client = new VsoaClient();
    teardowns.push(() => client.close());
    await expect(client.connect('vsoa://lights', { lookup: { ...NO_POSITION, dnsSearch: kubernetes } })).resolves.toEqual({
      name: 'consul-or-k8s',
    });
  });
});

describe('SRV order (RFC 2782)', () => {
  it('sorts by priority and draws by weight within one', () => {
    const records = [
      { id: 'c', priority: 20, weight: 0 },
      { id: 'a', priority: 10, weight: 1 },
      { id: 'b', priority: 10, weight: 3 },
    ];
    // The draw lands in [0, total]: a low number picks the light record, a high one the heavy.
    expect(orderSrv(records, () => 0).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(orderSrv(records, (max) => max - 1).map((r) => r.id)).toEqual(['b', 'a', 'c']);
    // Over many draws: the number is drawn from 0..4 inclusive (RFC 2782), 2, 3 and 4 pick the
    // heavy record: 3 times in 5.
    let heavyFirst = 0;
    for (let i = 0; i < 4000; i++) if (orderSrv(records)[0].id === 'b') heavyFirst++;
    expect(heavyFirst / 4000).toBeGreaterThan(0.55);
    expect(heavyFirst / 4000).toBeLessThan(0.65);
  });
});

describe('replicas behind one name (VsoaReplicas)', () => {
  async function pool(servers: VsoaServer[]): Promise<DnsServer> {
    const dns = await DnsServer.start(
      poolRecords(
        'pool.test',
        servers.map((vsoa) => vsoa.address()!.port),
      ),
    );
    teardowns.push(() => dns.stop());
    return dns;
  }

  it('spreads RPCs over every replica in turn, fans subscriptions in, and skips a replica that is down', async () => {
    const servers = [await server('r0'), await server('r1')];
    await pool(servers);
    const replicas = new VsoaReplicas({ timeout: 2000 });
    teardowns.push(() => replicas.close());
    await replicas.start('vsoa://pool.test', { lookup: NO_POSITION, reconnDelay: 100 });
    await linked(replicas, 2);

    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await replicas.fetch('/who')).payload.param);
    expect(answers.filter((who) => who === 'r0')).toHaveLength(3);
    expect(answers.filter((who) => who === 'r1')).toHaveLength(3);

    // Fan-in: each replica's publishes arrive.
    await replicas.subscribe('/news');
    const got: unknown[] = [];
    const both = new Promise<void>((resolve) => replicas.on('message', (_url, payload) => got.push(payload.param) === 2 && resolve()));
    servers[0].publish('/news', { param: 'from r0' });
    servers[1].publish('/news', { param: 'from r1' });
    await both;
    expect(got.sort()).toEqual(['from r0', 'from r1']);

    // One replica down: every call goes to the other.
    const down = new Promise((resolve) => replicas.once('disconnect', resolve));
    await servers[0].close();
    await down;
    for (let i = 0; i < 4; i++) expect((await replicas.fetch('/who')).payload.param).toBe('r1');
  });

  it('follows the name: a replica added to DNS is linked at the next lookup', async () => {
    const servers = [await server('r0')];
    const first = await pool(servers);
    const replicas = new VsoaReplicas({ timeout: 2000 });
    teardowns.push(() => replicas.close());
    await replicas.start('vsoa://pool.test', { lookup: NO_POSITION, refresh: 200 });
    await linked(replicas, 1);
    servers.push(await server('r1'));
    const grown = new Promise<string[]>((resolve) => replicas.on('replicas', (addresses) => addresses.length === 2 && resolve(addresses)));
    await first.stop();
    await pool(servers);
    expect(await grown).toHaveLength(2);
    await linked(replicas, 2);
  });
});

describe("ClientVsoa with balance: 'round-robin'", () => {
  it('spreads send() over the replicas behind the name and delivers publishes from each', async () => {
    const servers = [await server('r0'), await server('r1')];
    const dns = await DnsServer.start({
      srv: servers.map((vsoa, i) => ({
        name: '_vsoa._tcp.nest.test',
        target: `n${i}.nest.test`,
        port: vsoa.address()!.port,
        priority: 10,
        weight: 1,
      })),
      hosts: { 'n0.nest.test': '127.0.0.1', 'n1.nest.test': '127.0.0.1' },
    });
    teardowns.push(() => dns.stop());
    const car = new ClientVsoa({ url: 'vsoa://nest.test', balance: 'round-robin', lookup: NO_POSITION, timeout: 2000 });
    teardowns.push(() => car.close());
    const replicas = (await car.connect()) as VsoaReplicas;
    await new Promise<void>((resolve) => {
      const check = (): void => void (replicas.replicas().every((r) => r.connected) && resolve());
      replicas.on('connect', check);
      check();
    });
    const answers: unknown[] = [];
    for (let i = 0; i < 4; i++) answers.push(await firstValueFrom(car.send('/who', {})));
    expect([...answers].sort()).toEqual(['r0', 'r0', 'r1', 'r1']);

    const messages: unknown[] = [];
    const two = new Promise<void>((resolve) => {
      const subscription = car.subscribe<string>('/news').subscribe(({ param }) => {
        if (messages.push(param) === 2) {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
    // Each replica has taken the subscription (the fan-in), before anything is published.
    await new Promise<void>((resolve) => {
      let taken = 0;
      for (const vsoa of servers) for (const cli of vsoa.clients()) cli.once('subscribe', () => ++taken === 2 && resolve());
    });
    servers[0].publish('/news', { param: 'a' });
    servers[1].publish('/news', { param: 'b' });
    await two;
    expect(messages.sort()).toEqual(['a', 'b']);
  });
});
