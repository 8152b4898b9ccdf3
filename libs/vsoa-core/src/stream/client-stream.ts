import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions } from 'node:tls';
import { StreamOptions, TUNNEL_SOCKET_OPTIONS, TunnelStream } from './tunnel-stream';

/**
 * The client end of a stream: connects to the server's address at port `tunid` (over TLS when
 * the client's link is TLS). Created by `VsoaClient.createStream()`; emits `'connect'` when the
 * tunnel is up, `'timeout'` when it could not connect in time, `'error'` when it was refused.
 */
export class VsoaClientStream extends TunnelStream {
  private pending: Socket | null;

  /** @internal */
  constructor(
    host: string,
    readonly tunid: number,
    tls: ConnectionOptions | undefined,
    options: StreamOptions,
  ) {
    super(options);
    const target = { ...TUNNEL_SOCKET_OPTIONS, host, port: tunid };
    const socket = tls ? tlsConnect({ ...tls, ...target }) : netConnect(target);
    this.pending = socket;
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      this.pending = null;
      if (!this.destroyed) this.attach(socket);
    });
    socket.on('error', (error) => {
      if (this.pending === socket) this.destroy(error);
    });
  }

  protected override onDestroy(): void {
    this.pending?.destroy();
    this.pending = null;
  }
}
