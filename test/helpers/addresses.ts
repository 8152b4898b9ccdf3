import { VsoaServer } from '@vsoa/core';

/** A port nothing listens on (a server took it on 127.0.0.1 and let it go). */
export async function freePort(): Promise<number> {
  const probe = new VsoaServer();
  await probe.listen({ host: '127.0.0.1', port: 0 });
  const { port } = probe.address()!;
  await probe.close();
  return port;
}

/** The vsoa:// URL of a listening server on 127.0.0.1. */
export function urlOf(server: VsoaServer): string {
  return `vsoa://127.0.0.1:${server.address()!.port}`;
}
