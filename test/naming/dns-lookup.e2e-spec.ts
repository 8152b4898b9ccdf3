/**
 * lookupAll over DNS, against a real DNS server (dnsmasq): the family asked for, targets
 * without addresses, search domains, and what the error says when DNS cannot answer.
 */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { getServers, setServers } from 'node:dns';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lookupAll, NAME_SOURCES_ENV } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { DnsServer } from '../helpers/dns-server';

/** DNS only, off the machine's env and resolv.conf search list. */
const DNS: LookupOptions = { sources: ['dns'], env: {}, dnsSearch: { domains: [] } };
const NO_FILE = join(tmpdir(), 'vsoa-no-such-file.pos');

let dns: DnsServer;
beforeAll(async () => {
  dns = await DnsServer.start({
    srv: [
      { name: '_vsoa._tcp.dual.test', target: 'v4.dual.test', port: 1001, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.dual.test', target: 'v6.dual.test', port: 1002, priority: 20, weight: 0 },
      { name: '_vsoa._tcp.only4.test', target: 'v4.dual.test', port: 1003, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.dead.test', target: 'nohost.dual.test', port: 1004, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.short.search.test', target: 'nohost.dual.test', port: 1005, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.short', target: 'v4.dual.test', port: 1006, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.gone.search.test', target: 'nohost.dual.test', port: 1007, priority: 10, weight: 0 },
      { name: '_vsoa._tcp.gone', target: 'nohost.dual.test', port: 1008, priority: 10, weight: 0 },
    ],
    hosts: { 'v4.dual.test': '127.0.0.1', 'v6.dual.test': '::1' },
  });
});
afterAll(() => dns.stop());

async function failure(name: string, options: LookupOptions): Promise<Error> {
  return lookupAll(name, options).then(
    () => {
      throw new Error(`${name} was found`);
    },
    (error: Error) => error,
  );
}

const V4 = { name: 'dual.test', addr: '127.0.0.1', port: 1001, domain: 2, security: false };
const V6 = { name: 'dual.test', addr: '::1', port: 1002, domain: 10, security: false };

describe('lookupAll over DNS', () => {
  it('gives the addresses of the family asked for, or of any family', async () => {
    await expect(lookupAll('dual.test', DNS)).resolves.toEqual([V4, V6]);
    await expect(lookupAll('dual.test', { ...DNS, domain: -1 })).resolves.toEqual([V4, V6]);
    await expect(lookupAll('dual.test', { ...DNS, domain: 2 })).resolves.toEqual([V4]);
    await expect(lookupAll('dual.test', { ...DNS, domain: 10 })).resolves.toEqual([V6]);
  });

  it('says DNS has no record with an address of the family asked for', async () => {
    const error = await failure('only4.test', { ...DNS, domain: 10 });
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND' });
    expect(error.message).toBe('DNS has no SRV record _vsoa._tcp.only4.test with an address of family 10');
  });

  it('says DNS has no record when the targets have no address, naming every SRV name asked', async () => {
    expect((await failure('dead.test', DNS)).message).toBe('DNS has no SRV record _vsoa._tcp.dead.test');
    const searched = await failure('gone', { ...DNS, dnsSearch: { domains: ['search.test'] } });
    expect(searched.message).toBe('DNS has no SRV record _vsoa._tcp.gone.search.test or _vsoa._tcp.gone');
  });

  it('moves on from a search domain whose targets have no address to the name as it is', async () => {
    await expect(lookupAll('short', { ...DNS, dnsSearch: { domains: ['search.test'] } })).resolves.toEqual([
      { name: 'short', addr: '127.0.0.1', port: 1006, domain: 2, security: false },
    ]);
  });

  it("gives the resolver's error for each SRV name DNS refused", async () => {
    const error = await failure('ghost', { ...DNS, dnsSearch: { domains: ['search.test'] } });
    expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND' });
    expect(error.message).toBe(
      'DNS _vsoa._tcp.ghost.search.test: querySrv EREFUSED _vsoa._tcp.ghost.search.test; DNS _vsoa._tcp.ghost: querySrv EREFUSED _vsoa._tcp.ghost',
    );
  });

  it('says what each source answered when none knows the name', async () => {
    const error = await failure('ghost.test', { ...DNS, sources: ['position', 'dns'], posFile: NO_FILE, retryInterval: 100 });
    expect(error.message).toMatch(
      /^no server found for "ghost\.test": position lookup of "ghost\.test" failed: no position server configured \(.*\); DNS _vsoa\._tcp\.ghost\.test: querySrv EREFUSED/,
    );
  });
});

describe('lookupAll: sources and arguments', () => {
  it(`reads the sources from ${NAME_SOURCES_ENV}, blanks meaning the default`, async () => {
    expect(NAME_SOURCES_ENV).toBe('VSOA_NAME_SOURCES');
    const options: LookupOptions = { env: { VSOA_NAME_SOURCES: 'bogus' }, dnsSearch: { domains: [] }, posFile: NO_FILE };
    await expect(lookupAll('dual.test', options)).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `VSOA_NAME_SOURCES must list 'position' and/or 'dns', got ["bogus"]` }),
    );
    await expect(lookupAll('dual.test', { ...options, env: { VSOA_NAME_SOURCES: ' dns ' } })).resolves.toEqual([V4, V6]);
    // Blanks: position (none configured), then DNS.
    await expect(lookupAll('dual.test', { ...options, env: { VSOA_NAME_SOURCES: '   ' } })).resolves.toEqual([V4, V6]);
  });

  it('refuses sources that are empty or unknown', async () => {
    await expect(lookupAll('dual.test', { ...DNS, sources: [] })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `sources must list 'position' and/or 'dns', got []` }),
    );
    await expect(lookupAll('dual.test', { ...DNS, sources: ['dns', 'mdns' as never] })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `sources must list 'position' and/or 'dns', got ["dns","mdns"]` }),
    );
  });

  it('refuses an empty name or one that is not a string', async () => {
    for (const name of ['', 5 as never]) {
      await expect(lookupAll(name, DNS)).rejects.toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'lookup needs a non-empty name' }),
      );
    }
  });
});

/**
 * A hand-made DNS server that knows no name: it answers NXDOMAIN, or "no such record" (NOERROR
 * without answers) for a name under `nodata.test`.
 */
async function negativeDns(): Promise<{ stop: () => Promise<void> }> {
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (query, from) => {
    let end = 12;
    while (query[end] !== 0) end += query[end] + 1;
    const question = query.subarray(12, end + 5);
    const name = query.subarray(12, end).toString('latin1').toLowerCase();
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    // QR, AA and the query's RD; RA; the rcode: 3 (NXDOMAIN) or 0 (no error).
    header[2] = 0x84 | (query[2] & 0x01);
    header[3] = 0x80 | (name.includes('nodata') ? 0 : 3);
    header.writeUInt16BE(1, 4);
    socket.send(Buffer.concat([header, question]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const previous = getServers();
  setServers([`127.0.0.1:${socket.address().port}`]);
  return {
    stop: async () => {
      setServers(previous);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

describe('lookupAll over DNS: names DNS says do not exist', () => {
  it('takes "no such name" and "no such record" as not found, not as a failure to ask', async () => {
    const negative = await negativeDns();
    try {
      const error = await failure('ghost', { ...DNS, dnsSearch: { domains: ['nodata.test'] } });
      expect(error).toMatchObject({ code: 'SERVER_NOT_FOUND' });
      expect(error.message).toBe('DNS has no SRV record _vsoa._tcp.ghost.nodata.test or _vsoa._tcp.ghost');
    } finally {
      await negative.stop();
    }
  });
});
