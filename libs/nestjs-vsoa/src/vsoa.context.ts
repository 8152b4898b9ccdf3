import { BaseRpcContext } from '@nestjs/microservices';
import type { PeerAddress, RemoteClient, VsoaMethod, VsoaPayload, VsoaRequest } from '@vsoa/core';

export type VsoaContextArgs = [client: RemoteClient, url: string, payload: VsoaPayload, request: VsoaRequest | null, quick: boolean];

/**
 * What a VSOA handler can know about the call it serves: `@Ctx() ctx: VsoaContext`.
 * For datagrams (`@EventPattern`) there is no request: `seqno` is 0 and `method` is undefined.
 */
export class VsoaContext extends BaseRpcContext<VsoaContextArgs> {
  constructor(args: VsoaContextArgs) {
    super(args);
  }

  /** The connected client the call or datagram came from. */
  get client(): RemoteClient {
    return this.args[0];
  }

  /** The client's id. */
  get clientId(): number {
    return this.args[0].id;
  }

  /** The URL that was called (a prefix handler learns here which one). */
  get url(): string {
    return this.args[1];
  }

  /** The raw payload: `param` (decoded) and binary `data`. */
  get payload(): VsoaPayload {
    return this.args[2];
  }

  /** Binary data of the call, if any. */
  get data(): Buffer | undefined {
    return this.args[2].data;
  }

  /** The RPC request (seqno, method, pattern), or null for a datagram. */
  get request(): VsoaRequest | null {
    return this.args[3];
  }

  get seqno(): number {
    return this.args[3]?.seqno ?? 0;
  }

  get method(): VsoaMethod | undefined {
    return this.args[3]?.method;
  }

  /** True for a datagram that came over the quick (UDP) channel. */
  get quick(): boolean {
    return this.args[4];
  }

  /** The client's TCP address. */
  get remoteAddress(): PeerAddress {
    return this.args[0].address();
  }
}
