import { isIP } from 'node:net';
import { VsoaConnectError } from '../errors';
import { lookupAll } from '../naming/lookup';
import { addressesOf } from '../naming/dns-srv';
import type { LookupOptions } from '../position/position-types';
import { parseVsoaUrl } from './vsoa-url';

/** Where a `vsoa://` URL leads: an address to connect to, and the path it names. */
export interface ConnectTarget {
  host: string;
  port: number;
  path: string;
}

/**
 * Resolves `vsoa://host:port/path` to the servers to try, in order. An IP address or `localhost`
 * is used as it is; any other host is a service name, looked up through the name sources
 * (position servers, then DNS SRV `_vsoa._tcp.<name>`): every server found, in order (a port in
 * the URL overrides the one found). A name no source knows, given with a port, is an ordinary
 * host name: its DNS addresses. A service the position server marks secure needs TLS options.
 */
export async function resolveTargets(url: string, options: { tls?: unknown; lookup?: LookupOptions } = {}): Promise<ConnectTarget[]> {
  const { host, port, path } = parseVsoaUrl(url);
  if (isIP(host) || host.toLowerCase() === 'localhost') {
    if (!port) throw new VsoaConnectError('SERVER_NOT_FOUND', `no port in ${url}`);
    return [{ host, port, path }];
  }
  let entries;
  try {
    entries = await lookupAll(host, options.lookup);
  } catch (error) {
    if (!(error instanceof VsoaConnectError) || !port) throw error;
    const addresses = await addressesOf(host);
    if (addresses.length === 0) throw new VsoaConnectError('SERVER_NOT_FOUND', `${error.message}; nor is ${host} a DNS host name`);
    return addresses.map((address) => ({ host: address, port, path }));
  }
  if (entries.some((entry) => entry.security) && options.tls === undefined) {
    throw new VsoaConnectError('SSL_HS_FAILED', `${host} requires a secure connection: pass tls options`);
  }
  return entries.map((entry) => ({ host: entry.addr, port: port || entry.port, path }));
}
