import { createServer as createNetServer, AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createTlsServer, TlsOptions } from 'node:tls';
import { normalizeAddress } from '../transport/address';
import { StreamOptions, TUNNEL_SOCKET_OPTIONS, TunnelStream } from './tunnel-stream';

/** Where a server stream listens and whom it lets in. */
export interface TunnelListenOptions {
  /** Address to bind: the server's own (never every interface when the server has one). */
  host: string;
  /** Only a connection from this address may take the tunnel; null accepts any. */
  allowFrom: string | null;
  /** Serve the tunnel with TLS (when the server does). */
  tls?: TlsOptions;
  /** Called for each connection turned away (wrong address, or the tunnel is taken). */
  onRefused?: (address: string) => void;
}

/**
 * The server end of a stream: listens on a fresh port (its `tunid`) for exactly one connection,
 * from the client it was opened for, then stops listening. Created by `VsoaServer.createStream()`.
 */
export class VsoaServerStream extends TunnelStream {
  /** The tunnel id to send in the RPC reply: the port the tunnel listens on. */
  tunid = 0;
  private listener: NetServer | null;
  private taken = false;

  private constructor(
    options: StreamOptions,
    private readonly tunnel: TunnelListenOptions,
  ) {
    super(options);
    this.listener = tunnel.tls
      ? this.tlsListener(tunnel.tls)
      : createNetServer(TUNNEL_SOCKET_OPTIONS, (socket) => this.offer(socket, true));
  }

  /** @internal Opens the tunnel listener; resolves once it listens and `tunid` is known. */
  static async open(options: StreamOptions, tunnel: TunnelListenOptions): Promise<VsoaServerStream> {
    const stream = new VsoaServerStream(options, tunnel);
    const listener = stream.listener as NetServer;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: tunnel.host, port: 0, exclusive: true }, () => {
        listener.off('error', reject);
        // Only now: a failed listen rejects, and must not also emit 'error' on a stream nobody holds.
        listener.on('error', (error) => stream.destroy(error));
        resolve();
      });
    }).catch((error: Error) => {
      stream.destroy();
      throw error;
    });
    stream.tunid = (listener.address() as AddressInfo).port;
    return stream;
  }

  protected override onDestroy(): void {
    this.closeListener();
  }

  private tlsListener(tls: TlsOptions): NetServer {
    const listener = createTlsServer({ ...tls, ...TUNNEL_SOCKET_OPTIONS }, (socket) => this.offer(socket, true));
    // Check the address before spending a TLS handshake on a stranger.
    listener.on('connection', (socket: Socket) => this.offer(socket, false));
    listener.on('tlsClientError', () => undefined);
    return listener;
  }

  /** Screens a connection; `take` is false for the pre-TLS check, true when it may become the tunnel. */
  private offer(socket: Socket, take: boolean): void {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (this.taken || this.destroyed || (this.tunnel.allowFrom !== null && address !== this.tunnel.allowFrom)) {
      this.tunnel.onRefused?.(address);
      socket.destroy();
      return;
    }
    if (!take) return;
    this.taken = true;
    this.closeListener();
    this.attach(socket);
  }

  private closeListener(): void {
    this.listener?.close();
    this.listener = null;
  }
}
