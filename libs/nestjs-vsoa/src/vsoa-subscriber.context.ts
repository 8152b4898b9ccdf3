import { BaseRpcContext } from '@nestjs/microservices';
import type { VsoaClient, VsoaPayload } from '@vsoa/core';

export type VsoaSubscriberContextArgs = [url: string, payload: VsoaPayload, quick: boolean, upstream: string, client: VsoaClient];

/**
 * What an `@EventPattern` handler of VsoaSubscriberStrategy knows about the publish it receives:
 * `@Ctx() ctx: VsoaSubscriberContext`.
 */
export class VsoaSubscriberContext extends BaseRpcContext<VsoaSubscriberContextArgs> {
  constructor(args: VsoaSubscriberContextArgs) {
    super(args);
  }

  /** The URL published on (a prefix handler learns here which one). */
  get url(): string {
    return this.args[0];
  }

  /** The payload: `param` (decoded) and binary `data`. */
  get payload(): VsoaPayload {
    return this.args[1];
  }

  /** Binary data of the publish, if any. */
  get data(): Buffer | undefined {
    return this.args[1].data;
  }

  /** True for a publish that came over the quick (UDP) channel. */
  get quick(): boolean {
    return this.args[2];
  }

  /** The upstream it came from, as configured (`vsoa://car-7`): which car of a fleet. */
  get upstream(): string {
    return this.args[3];
  }

  /** The core client linked to that upstream. */
  get client(): VsoaClient {
    return this.args[4];
  }

  /** The upstream's server info from its handshake (often its name). */
  get info(): unknown {
    return this.args[4].info;
  }
}
