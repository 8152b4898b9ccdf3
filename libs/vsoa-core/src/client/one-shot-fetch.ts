import { VsoaClient } from './client';
import { parseVsoaUrl } from './vsoa-url';
import type { ConnectOptions, FetchOptions, VsoaReply } from './types';

export interface OneShotFetchOptions extends ConnectOptions, Omit<FetchOptions, 'timeout'> {
  /** Deliver and send params raw (see VsoaClientOptions.raw). */
  raw?: boolean;
  /** Bound on the whole call, connect to reply (ms). Default 10000, as the seed's `vsoa.fetch`. */
  timeout?: number;
}

/** Bound on a one-shot fetch, connect to reply (ms): the seed's `vsoa.fetch` 10 s. */
export const DEFAULT_FETCH_TIMEOUT = 10_000;

/** A one-shot reply, with the server info from the handshake. */
export interface OneShotReply extends VsoaReply {
  info: unknown;
}

/**
 * Connects to `vsoa://host:port/path` (or `vsoa://name/path`), calls the RPC command at `path`,
 * closes, and resolves with the reply (any status). Rejects with VsoaConnectError when the
 * connection fails, VsoaError TIMEOUT / CLOSED when the reply does not come.
 */
export async function fetch(url: string, options: OneShotFetchOptions = {}): Promise<OneShotReply> {
  const { path } = parseVsoaUrl(url);
  const { raw, method, payload, timeout = DEFAULT_FETCH_TIMEOUT, ...connect } = options;
  const deadline = Date.now() + timeout;
  const client = new VsoaClient({ raw });
  try {
    const info = await client.connect(url, { ...connect, timeout });
    const left = Math.max(1, deadline - Date.now());
    const reply = await client.fetch(path, { method, payload, timeout: left });
    return { ...reply, info };
  } finally {
    await client.close();
  }
}
