import type { VsoaClient } from '../client/client';
import { defaultLogger } from '../logger';
import { VsoaServer } from '../server/server';
import type { VsoaServerOptions } from '../server/types';
import { ProxyRoutes, UpstreamOptions } from './proxy-routes';

/**
 * A VSOA gateway: one server in front of many, routed by URL prefix.
 *
 * ```ts
 * const proxy = new VsoaProxy({ info: { name: 'gateway' } });
 * proxy.add('/car', 'vsoa://127.0.0.1:3006');   // /car/x -> upstream /x
 * await proxy.listen({ port: 3005 });
 * ```
 * It is a VsoaServer: commands of its own sit next to the routes (the longest match wins).
 */
export class VsoaProxy extends VsoaServer {
  private readonly routes: ProxyRoutes;

  constructor(options: VsoaServerOptions = {}) {
    super(options);
    this.routes = new ProxyRoutes(this, options.logger ?? defaultLogger);
  }

  /** Routes `prefix` and everything under it to the server at `url`, prefix stripped. */
  add(prefix: string, url: string, options: UpstreamOptions = {}): this {
    this.routes.add(prefix, url, options);
    return this;
  }

  /** Stops routing `prefix`; returns whether it was routed. */
  delete(prefix: string): boolean {
    return this.routes.delete(prefix);
  }

  /** The client linked to the upstream of `prefix` (to watch its `'connect'` / `'disconnect'`). */
  upstream(prefix: string): VsoaClient | undefined {
    return this.routes.upstream(prefix);
  }

  /** The routed prefixes. */
  prefixes(): string[] {
    return this.routes.prefixes();
  }

  /** Closes the upstream links, then the server. */
  override async close(options: { drainTimeout?: number } = {}): Promise<void> {
    await this.routes.close();
    await super.close(options);
  }
}
