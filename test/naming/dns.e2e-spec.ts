/**
 * Names from DNS, against a real DNS server (dnsmasq): `_vsoa._tcp.<name>` SRV records, lowest
 * priority first, failover to the next record, and no position server configured anywhere.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lookup, lookupAll, VsoaClient, VsoaServer } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { orderSrv } from '../../libs/vsoa-core/src/naming/dns-srv';
import { DnsServer } from '../helpers/dns-server';
import { nextEvent } from '../helpers/events';
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
