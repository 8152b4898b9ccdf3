import type { TlsOptions } from 'node:tls';
import * as vsoa from 'vsoa';

/** Starts an official `vsoa.Server` (handlers already registered) on 127.0.0.1, port 0; resolves with its TCP port. */
export async function startOfficial(server: vsoa.Server, tls?: TlsOptions): Promise<number> {
  await new Promise<void>((resolve, reject) =>
    server.start({ domain: vsoa.AF_INET, addr: '127.0.0.1', port: 0 }, tls, (error?: Error) => (error ? reject(error) : resolve())),
  );
  return server.address()!.port;
}

/** Closes an official server; its close() only calls back while the TCP listener is up. */
export function closeOfficial(server: vsoa.Server): Promise<void> {
  return new Promise((resolve) => (server.working ? server.close(() => resolve()) : resolve()));
}
