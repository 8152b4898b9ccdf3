import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { VsoaConnectError, VsoaError } from '../errors';
import { defaultLogger, RateLimitedWarn, VsoaLogger } from '../logger';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  DEFAULT_POSITION_PORT,
  LookupOptions,
  readPositionJson,
  PositionEntry,
  PositionServerAddress,
  toPositionEntry,
} from './position-types';

/** Environment variable naming position servers: `ip:port,[v6]:port,…`. */
export const POSITION_SERVER_ENV = 'VSOA_POS_SERVER';

/** The position file read when neither code nor env names a server. */
export const DEFAULT_POSITION_FILE = process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\vsoa.pos' : '/etc/vsoa.pos';

/** The server set with `setPositionServer()`; when set, env and file are not consulted. */
let serverSetInCode: PositionServerAddress | null = null;

/** One rate-limited warner per logger, so a flood of bad answers stays bounded across lookups. */
const warners = new WeakMap<VsoaLogger, RateLimitedWarn>();

/**
 * Sets the position server every later `lookup()` asks, instead of `VSOA_POS_SERVER` and the
 * position file; `setPositionServer(null)` clears it. Throws `VsoaError('INVALID_ARGUMENT')`
 * when `host` is not an IP address (brackets allowed) or `port` is not 1-65535.
 */
export function setPositionServer(host: string, port: number): void;
export function setPositionServer(host: null): void;
export function setPositionServer(host: string | null, port?: number): void {
  if (host === null) {
    serverSetInCode = null;
    return;
  }
  const address = unbracket(host);
  if (!isIP(address)) throw new VsoaError('INVALID_ARGUMENT', `position server host must be an IP address: ${JSON.stringify(host)}`);
  if (port === undefined || !isPort(port)) throw new VsoaError('INVALID_ARGUMENT', `bad position server port: ${String(port)}`);
  serverSetInCode = { host: address, port };
}

/**
 * Resolves a service name to its address through position servers: the one set with
 * `setPositionServer()` only, when set; otherwise each server of `VSOA_POS_SERVER` in turn, then
 * each of the position file, until one knows the name. Each server gets `tries` queries,
 * `retryInterval` ms apart, and `retryInterval` ms after the last to answer; a `{}` answer moves
 * on at once. Rejects with `VsoaConnectError('SERVER_NOT_FOUND')` saying why when no server
 * knows the name, none answers or none is configured; with `VsoaError('INVALID_ARGUMENT')` for
 * bad arguments.
 */
export async function lookupPosition(name: string, options: LookupOptions = {}): Promise<PositionEntry> {
  const settings = checkOptions(name, options);
  const logger = options.logger ?? defaultLogger;
  const outcomes: string[] = [];
  const ask = async (servers: PositionServerAddress[]): Promise<PositionEntry | undefined> => {
    for (const server of servers) {
      const outcome = await queryServer(name, server, settings, logger);
      if (outcome.entry) return outcome.entry;
      outcomes.push(`${formatAddress(server)} ${outcome.failure}`);
    }
    return undefined;
  };
  const fail = (): never => {
    throw new VsoaConnectError('SERVER_NOT_FOUND', `position lookup of ${JSON.stringify(name)} failed: ${outcomes.join('; ')}`);
  };

  if (serverSetInCode) return (await ask([serverSetInCode])) ?? fail();

  const warn = warnerFor(logger);
  const envValue = (options.env ?? process.env)[POSITION_SERVER_ENV]?.trim();
  const envServers = envValue
    ? parsePositionServerList(envValue, (entry) => warn.warn(`${POSITION_SERVER_ENV}: ignoring bad entry ${JSON.stringify(entry)}`))
    : [];
  const fromEnv = await ask(envServers);
  if (fromEnv) return fromEnv;

  // Like the official client, the file is the fallback even when env named servers that failed.
  const posFile = options.posFile ?? DEFAULT_POSITION_FILE;
  let text: string | undefined;
  let fileState = 'has no valid line';
  try {
    text = await readFile(posFile, 'utf8');
  } catch (error) {
    fileState = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${(error as Error).message})`;
  }
  const fileServers =
    text === undefined ? [] : parsePositionFile(text, (line) => warn.warn(`${posFile}: ignoring bad line ${JSON.stringify(line)}`));
  const fromFile = await ask(fileServers);
  if (fromFile) return fromFile;

  if (envServers.length > 0 && text === undefined && fileState !== 'missing') outcomes.push(`${posFile} ${fileState}`);
  if (envServers.length === 0 && fileServers.length === 0) {
    outcomes.push(
      `no position server configured (setPositionServer() not called, ${POSITION_SERVER_ENV} ${envValue ? 'has no valid entry' : 'unset'}, ` +
        `${posFile} ${fileState})`,
    );
  }
  return fail();
}

/**
 * Parses a `VSOA_POS_SERVER` value: comma-separated `ip:port`, `[v6]:port`, `ip` or `[v6]`; an
 * entry without a port means port 54. An unbracketed IPv6 address is split at its last colon
 * when that leaves an address and a port (as the official client reads it), else taken whole
 * with port 54; bracket it to be sure. Bad entries go to `onInvalid` and are skipped.
 */
export function parsePositionServerList(value: string, onInvalid?: (entry: string) => void): PositionServerAddress[] {
  const servers: PositionServerAddress[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const server = parseListEntry(entry);
    if (server) servers.push(server);
    else onInvalid?.(entry);
  }
  return servers;
}

/**
 * Parses a position file: one `ip [port]` per line (IPv6 with or without brackets), port 54 when
 * absent; blank lines and `#` comments are skipped. Bad lines go to `onInvalid` and are skipped.
 */
export function parsePositionFile(text: string, onInvalid?: (line: string) => void): PositionServerAddress[] {
  const servers: PositionServerAddress[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [host, port, ...rest] = line.split(/\s+/);
    const address = unbracket(host);
    const portNumber = port === undefined ? DEFAULT_POSITION_PORT : parsePort(port);
    if (rest.length === 0 && isIP(address) && portNumber !== undefined) servers.push({ host: address, port: portNumber });
    else onInvalid?.(raw.trim());
  }
  return servers;
}

interface ResolvedLookup {
  domain?: number;
  tries: number;
  retryInterval: number;
}

/** How asking one server ended: its entry, or why not (for the error message). */
type ServerOutcome = { entry: PositionEntry; failure?: undefined } | { entry?: undefined; failure: string };

/**
 * Asks one server. The socket is connected to it, so the kernel drops datagrams from anyone
 * else, and an ICMP "port unreachable" ends the wait early instead of killing the process.
 */
function queryServer(name: string, server: PositionServerAddress, settings: ResolvedLookup, logger: VsoaLogger): Promise<ServerOutcome> {
  const { domain, tries, retryInterval } = settings;
  const query = Buffer.from(JSON.stringify(domain === undefined ? { name } : { name, domain }));
  const where = formatAddress(server);
  return new Promise((resolve) => {
    const socket = createSocket({ type: isIPv6(server.host) ? 'udp6' : 'udp4' });
    let timer: NodeJS.Timeout | undefined;
    let sent = 0;
    let done = false;
    const finish = (outcome: ServerOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(outcome);
    };
    const send = (): void => {
      if (sent === tries) {
        finish({ failure: `did not answer ${tries} ${tries === 1 ? 'query' : 'queries'} within ${tries * retryInterval} ms` });
        return;
      }
      sent++;
      socket.send(query, (error) => {
        if (error) finish({ failure: `cannot be sent to: ${error.message}` });
      });
      timer = setTimeout(send, retryInterval);
    };
    socket.on('error', (error) => finish({ failure: `is unreachable: ${error.message}` }));
    socket.on('message', (msg) => {
      const answer = readAnswer(msg, name);
      if (answer === null) finish({ failure: 'does not know the name' });
      else if (typeof answer !== 'string') finish({ entry: answer });
      else warnerFor(logger).warn(`position answer from ${where} for ${JSON.stringify(name)} ignored: ${answer}`);
    });
    // Node passes a failed address lookup to this callback rather than emitting 'error'.
    socket.connect(server.port, server.host, (error?: Error) => {
      if (error) finish({ failure: `cannot be reached: ${error.message}` });
      else if (!done) send();
    });
  });
}

/** Reads an answer: the entry, null for "unknown" (`{}` or empty), or why it is unusable. */
function readAnswer(msg: Buffer, name: string): PositionEntry | null | string {
  // The official client reads an empty datagram as "unknown" too.
  if (msg.length === 0) return null;
  const parsed = readPositionJson(msg);
  if (typeof parsed === 'string') return parsed;
  const { value } = parsed;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return null;
  return toPositionEntry(value, name);
}

function checkOptions(name: string, options: LookupOptions): ResolvedLookup {
  if (typeof name !== 'string' || name === '') throw new VsoaError('INVALID_ARGUMENT', 'lookup needs a non-empty name');
  const { tries = 2, retryInterval = 2000 } = options;
  // Any family is asked for without a domain: every position server answers that with its first entry.
  const domain = options.domain === AF_UNSPEC ? undefined : options.domain;
  if (domain !== undefined && domain !== AF_INET && domain !== AF_INET6) {
    throw new VsoaError('INVALID_ARGUMENT', `lookup domain must be ${AF_INET}, ${AF_INET6} or ${AF_UNSPEC} (any), not ${String(domain)}`);
  }
  if (!Number.isInteger(tries) || tries < 1) throw new VsoaError('INVALID_ARGUMENT', `lookup tries must be a positive integer: ${tries}`);
  if (!Number.isFinite(retryInterval) || retryInterval <= 0) {
    throw new VsoaError('INVALID_ARGUMENT', `lookup retryInterval must be a positive number of ms: ${retryInterval}`);
  }
  return { domain, tries, retryInterval };
}

function parseListEntry(entry: string): PositionServerAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(entry);
  if (bracketed) {
    const port = bracketed[2] === undefined ? DEFAULT_POSITION_PORT : parsePort(bracketed[2]);
    return isIPv6(bracketed[1]) && port !== undefined ? { host: bracketed[1], port } : undefined;
  }
  const colon = entry.lastIndexOf(':');
  if (colon > 0) {
    const host = entry.slice(0, colon);
    const port = parsePort(entry.slice(colon + 1));
    if (isIP(host) && port !== undefined) return { host, port };
  }
  return isIP(entry) ? { host: entry, port: DEFAULT_POSITION_PORT } : undefined;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return isPort(port) ? port : undefined;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function formatAddress({ host, port }: PositionServerAddress): string {
  return isIPv4(host) ? `${host}:${port}` : `[${host}]:${port}`;
}

function warnerFor(logger: VsoaLogger): RateLimitedWarn {
  let warn = warners.get(logger);
  if (!warn) {
    warn = new RateLimitedWarn(logger);
    warners.set(logger, warn);
  }
  return warn;
}
