import { isIP } from 'node:net';
import { VsoaConnectError } from '../errors';
import { lookup } from '../position/lookup';
import type { LookupOptions } from '../position/position-types';
import { parseVsoaUrl } from './vsoa-url';

/** Where a `vsoa://` URL leads: an address to connect to, and the path it names. */
export interface ConnectTarget {
  host: string;
  port: number;
  path: string;
}

/**
 * Resolves `vsoa://host:port/path`. An IP address or `localhost` is used as it is; any other
 * host is a service name, resolved through position lookup (a port in the URL then overrides the
 * one the position server gives). A service the position server marks secure needs TLS options.
 */
export async function resolveTarget(url: string, options: { tls?: unknown; lookup?: LookupOptions } = {}): Promise<ConnectTarget> {
  const { host, port, path } = parseVsoaUrl(url);
  if (isIP(host) || host.toLowerCase() === 'localhost') {
    if (!port) throw new VsoaConnectError('SERVER_NOT_FOUND', `no port in ${url}`);
    return { host, port, path };
  }
  const entry = await lookup(host, options.lookup);
  if (entry.security && options.tls === undefined) {
    throw new VsoaConnectError('SSL_HS_FAILED', `${host} requires a secure connection: pass tls options`);
  }
  return { host: entry.addr, port: port || entry.port, path };
}
