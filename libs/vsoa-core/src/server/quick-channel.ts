import { createSocket, RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Flag, MAX_QUICK_PACKET_LENGTH, PacketType } from '../protocol/constants';
import { VsoaPacket } from '../protocol/packet';
import { parseDatagram } from '../protocol/parser';
import { normalizeAddress } from '../transport/address';

/**
 * The server's UDP socket on the TCP port number: receives quick datagrams from clients and
 * sends quick publishes and datagrams to them.
 */
export class QuickChannel {
  private readonly socket: UdpSocket;

  constructor(
    host: string,
    /** Called for each valid quick DATAGRAM with the sender's normalized address. */
    private readonly onDatagram: (packet: VsoaPacket, address: string) => void,
    /** Called for each datagram that is not a valid packet. */
    private readonly onBad: (rinfo: RemoteInfo) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  /** Binds the UDP port; rejects (and leaves nothing open) when it is taken. */
  bind(port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.socket.close();
        reject(error);
      };
      this.socket.once('error', onError);
      this.socket.bind({ port, address, exclusive: true }, () => {
        this.socket.off('error', onError);
        this.socket.on('error', this.onError);
        resolve();
      });
    });
  }

  send(packet: Buffer, port: number, address: string): void {
    this.socket.send(packet, port, address, (error) => {
      if (error) this.onError(error);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const packet = parseDatagram(msg, MAX_QUICK_PACKET_LENGTH);
    if (!packet) {
      this.onBad(rinfo);
      return;
    }
    if (packet.type !== PacketType.DATAGRAM || packet.flags & Flag.REPLY) return;
    this.onDatagram(packet, normalizeAddress(rinfo.address));
  }
}
