import { AF_INET, AF_INET6, PositionEntry, PositionQuery, toPositionEntry } from './position-types';

/** Entries by lower-cased name; a name may have one entry per address family. */
export type PositionTable = Map<string, PositionEntry[]>;

/**
 * Parses a table: `{ "name": { "addr", "port", "security"? } | [ … ] }` or a list of entries
 * with a `name`. Throws an Error naming the first bad entry.
 */
export function parsePositionTable(text: string, source: string): PositionTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const pairs: Array<[string, unknown]> = [];
  if (Array.isArray(value)) {
    for (const item of value) pairs.push([String((item as { name?: unknown } | null)?.name ?? ''), item]);
  } else if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) {
      for (const one of Array.isArray(item) ? item : [item]) pairs.push([name, one]);
    }
  } else {
    throw new Error(`${source}: expected an object of names or a list of entries`);
  }
  const table: PositionTable = new Map();
  for (const [name, item] of pairs) {
    const entry = toPositionEntry(item, name);
    if (typeof entry === 'string') throw new Error(`${source}: entry ${JSON.stringify(name)}: ${entry}`);
    const key = entry.name.toLowerCase();
    table.set(key, [...(table.get(key) ?? []).filter((e) => e.domain !== entry.domain), entry]);
  }
  return table;
}

/**
 * The entry answering a query: of the family asked for, else the first one. A domain that names
 * no family (absent, or the seed's -1) asks for any, as in `PositionServer`.
 */
export function answerQuery(table: PositionTable, query: PositionQuery): PositionEntry | null {
  const entries = table.get(query.name.toLowerCase());
  if (!entries || entries.length === 0) return null;
  const family = query.domain === AF_INET || query.domain === AF_INET6 ? query.domain : undefined;
  return (family === undefined ? entries[0] : entries.find((e) => e.domain === family)) ?? null;
}
