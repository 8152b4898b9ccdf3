import { readFileSync } from 'node:fs';

/** Environment variable holding the SRV name template, e.g. `{name}.service.consul`. */
export const SRV_NAME_ENV = 'VSOA_SRV_NAME';
const DEFAULT_SRV_TEMPLATE = '_vsoa._tcp.{name}';

/** The search list of /etc/resolv.conf, read once (Node's resolver queries names as given). */
let systemSearch: { domains: string[]; ndots: number } | undefined;

function readSystemSearch(): { domains: string[]; ndots: number } {
  if (systemSearch) return systemSearch;
  let domains: string[] = [];
  let ndots = 1;
  try {
    for (const line of readFileSync('/etc/resolv.conf', 'utf8').split('\n')) {
      const [keyword, ...values] = line.trim().split(/\s+/);
      if (keyword === 'search' || keyword === 'domain') domains = values;
      if (keyword === 'options') {
        const found = values.find((value) => value.startsWith('ndots:'));
        if (found) ndots = Number(found.slice(6)) || ndots;
      }
    }
  } catch {
    // no resolv.conf: no search list
  }
  systemSearch = { domains, ndots };
  return systemSearch;
}

/**
 * The SRV names to ask for a service name, in order: as a resolver would, a name with fewer dots
 * than `ndots` is tried in each search domain first, then as it is; each through the template.
 */
export function srvCandidates(
  name: string,
  options: { srvName?: string; dnsSearch?: { domains: string[]; ndots?: number }; env?: NodeJS.ProcessEnv },
): string[] {
  const template = options.srvName ?? (options.env ?? process.env)[SRV_NAME_ENV] ?? DEFAULT_SRV_TEMPLATE;
  const search = options.dnsSearch ?? readSystemSearch();
  const dots = name.split('.').length - 1;
  const absolute = name.endsWith('.');
  const names = absolute || dots >= (search.ndots ?? 1) ? [name] : [...search.domains.map((domain) => `${name}.${domain}`), name];
  return names.map((candidate) => template.replace('{name}', candidate.replace(/\.$/, '')));
}
