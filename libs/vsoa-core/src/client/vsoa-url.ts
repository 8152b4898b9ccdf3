import { VsoaError } from '../errors';

/** The parts of a `vsoa://host[:port][/path]` URL. */
export interface VsoaUrl {
  host: string;
  /** 0 when the URL names no port. */
  port: number;
  /** The path (`/echo`), `/` when absent. */
  path: string;
}

/** Parses `vsoa://host:port/path` (IPv6 hosts in brackets). Throws VsoaError on anything else. */
export function parseVsoaUrl(text: string): VsoaUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new VsoaError('INVALID_ARGUMENT', `not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'vsoa:' || !url.hostname) {
    throw new VsoaError('INVALID_ARGUMENT', `expected vsoa://host:port, got ${JSON.stringify(text)}`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port ? Number(url.port) : 0, path: decodeURI(url.pathname || '/') || '/' };
}
