import { readFileSync } from 'node:fs';

/** Environment variable holding the SRV name template, e.g. `{name}.service.consul`. */
export const SRV_NAME_ENV = 'VSOA_SRV_NAME';
const DEFAULT_SRV_TEMPLATE = '_vsoa._tcp.{name}';

/** A resolver's search list: the domains a short name is tried in, and what "short" means. */
export interface DnsSearch {
  domains: string[];
  /** A name with fewer dots than this is tried in the search domains first (default 1). */
  ndots?: number;
}

/** The resolver caps ndots at 15 (resolv.conf(5)). */
const MAX_NDOTS = 15;

/**
 * The search list of a resolv.conf text, as resolv.conf(5) reads it: the last `search` or
 * `domain` line wins, and `options ndots:n` sets ndots (0 to 15, 1 when absent or not a number).
 */
export function parseResolvConf(text: string): Required<DnsSearch> {
  let domains: string[] = [];
  let ndots = 1;
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') domains = values;
    if (keyword !== 'options') continue;
    for (const value of values) {
      const match = /^ndots:(\d+)$/.exec(value);
      if (match) ndots = Math.min(Number(match[1]), MAX_NDOTS);
    }
  }
  return { domains, ndots };
}

/** The system's search list, read once (Node's resolver queries names as given). */
let systemSearch: Required<DnsSearch> | undefined;

function readSystemSearch(): Required<DnsSearch> {
  if (systemSearch) return systemSearch;
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no resolv.conf: no search list
  }
  systemSearch = parseResolvConf(text);
  return systemSearch;
}

/**
 * The SRV names to ask for a service name, in order, each through the template. As a resolver
 * does (resolv.conf(5)): a name with fewer dots than `ndots` is tried in each search domain
 * first, then as it is; one with at least `ndots` dots as it is first, then in each domain; one
 * ending in a dot only as it is.
 */
export function srvCandidates(name: string, options: { srvName?: string; dnsSearch?: DnsSearch; env?: NodeJS.ProcessEnv }): string[] {
  const template = options.srvName ?? (options.env ?? process.env)[SRV_NAME_ENV] ?? DEFAULT_SRV_TEMPLATE;
  const search = options.dnsSearch ?? readSystemSearch();
  const dots = name.split('.').length - 1;
  const absolute = name.endsWith('.');
  const searched = absolute ? [] : search.domains.map((domain) => `${name}.${domain}`);
  const names = absolute || dots >= (search.ndots ?? 1) ? [name, ...searched] : [...searched, name];
  return names.map((candidate) => template.replace('{name}', candidate.replace(/\.$/, '')));
}
