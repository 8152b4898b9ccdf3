import { readFileSync } from 'node:fs';
import { SRV_NAME_ENV, srvCandidates } from './dns-search';

describe('srvCandidates', () => {
  const search = { domains: ['default.svc.test', 'test'] };

  it('asks _vsoa._tcp.<name>, or the template of srvName or VSOA_SRV_NAME', () => {
    expect(SRV_NAME_ENV).toBe('VSOA_SRV_NAME');
    expect(srvCandidates('lights.test', { env: {}, dnsSearch: search })).toEqual(['_vsoa._tcp.lights.test']);
    expect(srvCandidates('lights.test', { env: { VSOA_SRV_NAME: '{name}.service.consul' }, dnsSearch: search })).toEqual([
      'lights.test.service.consul',
    ]);
    expect(srvCandidates('lights.test', { env: { VSOA_SRV_NAME: 'x.{name}' }, srvName: '{name}.srv', dnsSearch: search })).toEqual([
      'lights.test.srv',
    ]);
  });

  it('tries a name with fewer dots than ndots (1 by default) in each search domain first, then as it is', () => {
    expect(srvCandidates('lights', { env: {}, dnsSearch: search })).toEqual([
      '_vsoa._tcp.lights.default.svc.test',
      '_vsoa._tcp.lights.test',
      '_vsoa._tcp.lights',
    ]);
    // One dot is as many as ndots 1: the name is taken as it is.
    expect(srvCandidates('lights.test', { env: {}, dnsSearch: search })).toEqual(['_vsoa._tcp.lights.test']);
    expect(srvCandidates('a.b', { env: {}, dnsSearch: { ...search, ndots: 2 } })).toEqual([
      '_vsoa._tcp.a.b.default.svc.test',
      '_vsoa._tcp.a.b.test',
      '_vsoa._tcp.a.b',
    ]);
    expect(srvCandidates('a.b.c', { env: {}, dnsSearch: { ...search, ndots: 2 } })).toEqual(['_vsoa._tcp.a.b.c']);
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
