import { readFileSync } from 'node:fs';
import { parseResolvConf, SRV_NAME_ENV, srvCandidates } from './dns-search';

describe('srvCandidates', () => {
  const search = { domains: ['default.svc.test', 'test'] };

  it('asks _vsoa._tcp.<name>, or the template of srvName or VSOA_SRV_NAME', () => {
    const none = { domains: [] };
    expect(SRV_NAME_ENV).toBe('VSOA_SRV_NAME');
    expect(srvCandidates('lights.test', { env: {}, dnsSearch: none })).toEqual(['_vsoa._tcp.lights.test']);
    expect(srvCandidates('lights.test', { env: { VSOA_SRV_NAME: '{name}.service.consul' }, dnsSearch: none })).toEqual([
      'lights.test.service.consul',
    ]);
    expect(srvCandidates('lights.test', { env: { VSOA_SRV_NAME: 'x.{name}' }, srvName: '{name}.srv', dnsSearch: none })).toEqual([
      'lights.test.srv',
    ]);
  });

  it('tries a name with fewer dots than ndots (1 by default) in each search domain first, then as it is', () => {
    expect(srvCandidates('lights', { env: {}, dnsSearch: search })).toEqual([
      '_vsoa._tcp.lights.default.svc.test',
      '_vsoa._tcp.lights.test',
      '_vsoa._tcp.lights',
    ]);
    expect(srvCandidates('a.b', { env: {}, dnsSearch: { ...search, ndots: 2 } })).toEqual([
      '_vsoa._tcp.a.b.default.svc.test',
      '_vsoa._tcp.a.b.test',
      '_vsoa._tcp.a.b',
    ]);
  });

  it('tries a name with at least ndots dots as it is first, then in each search domain', () => {
    // One dot is as many as ndots 1.
    expect(srvCandidates('lights.test', { env: {}, dnsSearch: search })).toEqual([
      '_vsoa._tcp.lights.test',
      '_vsoa._tcp.lights.test.default.svc.test',
      '_vsoa._tcp.lights.test.test',
    ]);
    expect(srvCandidates('a.b.c', { env: {}, dnsSearch: { ...search, ndots: 2 } })).toEqual([
      '_vsoa._tcp.a.b.c',
      '_vsoa._tcp.a.b.c.default.svc.test',
      '_vsoa._tcp.a.b.c.test',
    ]);
  });

  it('takes a name ending in a dot as absolute: never searched, asked without the dot', () => {
    expect(srvCandidates('lights.', { env: {}, dnsSearch: { ...search, ndots: 5 } })).toEqual(['_vsoa._tcp.lights']);
    expect(srvCandidates('lights.', { env: { VSOA_SRV_NAME: '{name}.service.consul' }, dnsSearch: search })).toEqual([
      'lights.service.consul',
    ]);
  });

  it("searches the domains of the system's /etc/resolv.conf by default", () => {
    // What the resolver's man page says: the last `search` or `domain` line wins. A name without a
    // dot has fewer than ndots (at least 1), so it is tried in each of them first.
    let text = '';
    try {
      text = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      // none: no search list
    }
    const last = text
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([keyword]) => keyword === 'search' || keyword === 'domain')
      .pop();
    const domains = last ? last.slice(1) : [];
    expect(srvCandidates('lights', { env: {} })).toEqual([...domains.map((domain) => `_vsoa._tcp.lights.${domain}`), '_vsoa._tcp.lights']);
  });
});

describe('parseResolvConf', () => {
  it('takes the domains of the last search or domain line', () => {
    expect(parseResolvConf('nameserver 10.0.0.1\nsearch a.test b.test\n')).toEqual({ domains: ['a.test', 'b.test'], ndots: 1 });
    expect(parseResolvConf('search a.test b.test\ndomain c.test\n')).toEqual({ domains: ['c.test'], ndots: 1 });
    expect(parseResolvConf('domain c.test\n  search\td.test   e.test  \n')).toEqual({ domains: ['d.test', 'e.test'], ndots: 1 });
    expect(parseResolvConf('# search commented.test\nnameserver 10.0.0.1')).toEqual({ domains: [], ndots: 1 });
    expect(parseResolvConf('')).toEqual({ domains: [], ndots: 1 });
  });

  it('reads ndots from an options line, 0 to 15, ignoring what is not a number', () => {
    // Kubernetes writes this line into every pod.
    expect(parseResolvConf('search ns.svc.cluster.local svc.cluster.local\noptions ndots:5\n').ndots).toBe(5);
    expect(parseResolvConf('options timeout:2 ndots:3 attempts:2').ndots).toBe(3);
    expect(parseResolvConf('options ndots:0').ndots).toBe(0);
    expect(parseResolvConf('options ndots:40').ndots).toBe(15);
    expect(parseResolvConf('options ndots:two').ndots).toBe(1);
    expect(parseResolvConf('options ndots:').ndots).toBe(1);
    expect(parseResolvConf('options ndots:2\noptions ndots:4').ndots).toBe(4);
    expect(parseResolvConf('ndots:3').ndots).toBe(1);
  });

  it('with ndots 0, tries every name as it is first', () => {
    const search = parseResolvConf('search a.test\noptions ndots:0');
    expect(srvCandidates('lights', { env: {}, dnsSearch: search })).toEqual(['_vsoa._tcp.lights', '_vsoa._tcp.lights.a.test']);
  });
});
