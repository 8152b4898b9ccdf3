import { isIP } from 'node:net';
import type { VsoaLogger } from '../logger';
import type { DnsSearch } from '../naming/dns-search';

/** Address family of a position entry, with the numbers the C socket API uses. */
export type PositionDomain = 2 | 10;

/** `AF_INET`: the entry's address is IPv4. */
export const AF_INET = 2;
/** `AF_INET6`: the entry's address is IPv6. */
export const AF_INET6 = 10;
/** The seed's "any family" for `lookup(name, { domain })`, as `vsoa.lookup(name, -1)`. */
export const AF_UNSPEC = -1;

/** Port a position server listens on when an env or file entry names none. */
export const DEFAULT_POSITION_PORT = 54;
/** Largest query (or answer) datagram we read; a VSOA name is short, so more is abuse. */
export const MAX_POSITION_MESSAGE_BYTES = 2048;

/** Where a service named `name` can be reached: the answer of a position server. */
export interface PositionEntry {
  name: string;
  addr: string;
  port: number;
  domain: PositionDomain;
  /** The service speaks TLS. */
  security: boolean;
}

/** A table entry as given to `PositionServer`: the domain follows from `addr` when absent. */
export interface PositionRecord {
  addr: string;
  port: number;
  domain?: PositionDomain;
  security?: boolean;
}

/** What a client asks a position server: the name and, optionally, the wanted family. */
export interface PositionQuery {
  name: string;
  domain?: number;
}

/**
 * Answers queries the table does not. Call `reply` once, now or later, with the entry or null
 * (unknown); later calls are ignored. A throw (or a rejected promise) answers "unknown".
 */
export type PositionQueryHook = (query: PositionQuery, reply: (entry: PositionAnswer | null) => void) => void;

/**
 * What `onquery` answers with, as the seed's `reply({ addr, port, domain })`: the name defaults
 * to the one asked for, the domain to the address's family, `security` to false.
 */
export type PositionAnswer = PositionRecord & { name?: string };

export interface PositionServerOptions {
  /** Initial entries: by name, or a list of named entries. */
  table?: Record<string, PositionRecord> | Array<PositionRecord & { name: string }>;
  onquery?: PositionQueryHook;
  logger?: VsoaLogger;
}

export interface PositionListenOptions {
  /** Address to bind; default `0.0.0.0`. An IPv6 address binds an IPv6 socket. */
  host?: string;
  /** UDP port; default 0 (a free one). The conventional port is 54. */
  port?: number;
}

/** What a position server has seen; read it, don't write it. */
export interface PositionServerCounters {
  /** Well-formed queries received. */
  queries: number;
  /** Queries answered with an entry. */
  answered: number;
  /** Queries answered with `{}`. */
  unknown: number;
  /** Datagrams that were not a query (not JSON, no name, too big); ignored. */
  malformed: number;
}

/** The address of a position server, as set in code or read from env or file. */
export interface PositionServerAddress {
  host: string;
  port: number;
}

/** Where names are looked up: position servers (VSOA's own), DNS SRV records. */
export type NameSource = 'position' | 'dns';

export interface LookupOptions {
  /**
   * The sources to ask, in order, until one knows the name. Default: `VSOA_NAME_SOURCES`
   * (`dns,position`, say) or `['position', 'dns']`.
   */
  sources?: NameSource[];
  /**
   * The SRV name asked for a service name, `{name}` standing for it. Default: `VSOA_SRV_NAME`
   * or `_vsoa._tcp.{name}`; with Consul's DNS, `{name}.service.consul`.
   */
  srvName?: string;
  /**
   * Domains tried after a name with fewer dots than `ndots`, as a resolver's search list. Default:
   * the `search` and `ndots` of /etc/resolv.conf (Kubernetes puts the namespace's domains there).
   */
  dnsSearch?: DnsSearch;
  /** Ask for an entry of this family; any family when absent or `AF_UNSPEC` (-1, the seed's default). */
  domain?: PositionDomain | typeof AF_UNSPEC;
  /** Queries sent to each server before giving up on it. Default 2. */
  tries?: number;
  /** Milliseconds between queries to one server (and after the last one). Default 2000. */
  retryInterval?: number;
  /** Position file read when neither code nor env names a server. Default `/etc/vsoa.pos`. */
  posFile?: string;
  /** Environment holding `VSOA_POS_SERVER`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: VsoaLogger;
}

/** Parses a position datagram (query or answer) as JSON; returns why it cannot be one as a string. */
export function readPositionJson(msg: Buffer): { value: unknown } | string {
  if (msg.length > MAX_POSITION_MESSAGE_BYTES) return `too big (${msg.length} bytes)`;
  try {
    return { value: JSON.parse(msg.toString('utf8')) };
  } catch {
    return 'not JSON';
  }
}

/**
 * Checks an entry received or handed to us and fills its defaults (domain from the address,
 * security false, name `fallbackName`). Returns the reason as a string when it is unusable.
 */
export function toPositionEntry(value: unknown, fallbackName: string): PositionEntry | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const raw = value as Record<string, unknown>;
  const name = raw.name ?? fallbackName;
  if (typeof name !== 'string' || name === '') return 'bad name';
  const { addr, port, domain, security } = raw;
  if (typeof addr !== 'string') return 'no address';
  const family = isIP(addr);
  if (family === 0) return `address ${JSON.stringify(addr)} is not an IP address`;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `bad port ${String(port)}`;
  const expected: PositionDomain = family === 6 ? AF_INET6 : AF_INET;
  if (domain !== undefined && domain !== null && domain !== expected) return `domain ${String(domain)} does not match address ${addr}`;
  if (security !== undefined && security !== null && typeof security !== 'boolean') return 'security is not a boolean';
  return { name, addr, port, domain: expected, security: security === true };
}
