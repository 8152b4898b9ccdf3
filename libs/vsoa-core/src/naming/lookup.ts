import { VsoaConnectError, VsoaError } from '../errors';
import { lookupPosition } from '../position/lookup';
import type { LookupOptions, NameSource, PositionEntry } from '../position/position-types';
import { AF_INET, AF_INET6 } from '../position/position-types';
import { srvEntries } from './dns-srv';
import { srvCandidates } from './dns-search';

/** Environment variable ordering the name sources, e.g. `dns,position` in a cluster. */
export const NAME_SOURCES_ENV = 'VSOA_NAME_SOURCES';

const DEFAULT_SOURCES: NameSource[] = ['position', 'dns'];

/** The sources to ask, in order: the option, else the environment, else position then DNS. */
function sourcesOf(options: LookupOptions): NameSource[] {
  if (options.sources) return checkSources(options.sources, 'sources');
  const env = (options.env ?? process.env)[NAME_SOURCES_ENV]?.trim();
  if (!env) return DEFAULT_SOURCES;
  return checkSources(env.split(',').map((source) => source.trim()) as NameSource[], NAME_SOURCES_ENV);
}

function checkSources(sources: NameSource[], where: string): NameSource[] {
  const bad = sources.find((source) => source !== 'position' && source !== 'dns');
  if (bad !== undefined || sources.length === 0) {
    throw new VsoaError('INVALID_ARGUMENT', `${where} must list 'position' and/or 'dns', got ${JSON.stringify(sources)}`);
  }
  return sources;
}

/**
 * Every server of a service name, in the order to try them: from the first source (position
 * servers, then DNS SRV `_vsoa._tcp.<name>`, unless `sources` or `VSOA_NAME_SOURCES` say
 * otherwise) that knows it. A position server gives one; DNS gives each SRV target's addresses,
 * lowest priority first, weighted within a priority. Rejects with
 * `VsoaConnectError('SERVER_NOT_FOUND')` saying what each source answered when none knows it.
 */
export async function lookupAll(name: string, options: LookupOptions = {}): Promise<PositionEntry[]> {
  if (typeof name !== 'string' || name === '') throw new VsoaError('INVALID_ARGUMENT', 'lookup needs a non-empty name');
  const outcomes: string[] = [];
  for (const source of sourcesOf(options)) {
    if (source === 'position') {
      try {
        return [await lookupPosition(name, options)];
      } catch (error) {
        if (!(error instanceof VsoaConnectError)) throw error;
        outcomes.push(error.message);
      }
      continue;
    }
    const found = await srvEntries(name, options);
    if (!Array.isArray(found)) {
      outcomes.push(found.reason);
      continue;
    }
    const family = options.domain === AF_INET || options.domain === AF_INET6 ? options.domain : undefined;
    const entries = family === undefined ? found : found.filter((entry) => entry.domain === family);
    if (entries.length > 0) return entries;
    outcomes.push(
      `DNS has no SRV record ${srvCandidates(name, options).join(' or ')}${family === undefined ? '' : ` with an address of family ${family}`}`,
    );
  }
  const why = outcomes.length === 1 ? outcomes[0] : `no server found for ${JSON.stringify(name)}: ${outcomes.join('; ')}`;
  throw new VsoaConnectError('SERVER_NOT_FOUND', why);
}

/** The first server of a service name (see `lookupAll`). */
export async function lookup(name: string, options: LookupOptions = {}): Promise<PositionEntry> {
  return (await lookupAll(name, options))[0];
}
