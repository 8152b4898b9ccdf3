import { createServer, Server, Socket } from 'node:net';
import { encodePacket, Flag, PacketParser, PacketType, VsoaPacket, VsoaStatus } from '@vsoa/core';

/** A hand-written TCP server that records what clients send and answers as told. */
export class FakeServer {
  readonly received: VsoaPacket[] = [];
  readonly sockets: Socket[] = [];
  private readonly server: Server;
  private readonly listeners = new Set<(packet: VsoaPacket) => void>();
  port = 0;

  constructor(onPacket: (packet: VsoaPacket, socket: Socket) => void = () => undefined) {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on('error', () => undefined);
      const parser = new PacketParser(
        (p) => {
          this.received.push(p);
          onPacket(p, socket);
          for (const listener of [...this.listeners]) listener(p);
        },
        () => socket.destroy(),
      );
      socket.on('data', (chunk) => parser.push(chunk));
    });
  }

  /** Calls `listener` with every packet received from now on. */
  onPacket(listener: (packet: VsoaPacket) => void): void {
    this.listeners.add(listener);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The SERVINFO reply that admits a client: info "fake", client id `id`, optionally a quick port. */
export function handshakeReply(seqno: number, id: number, udpPort?: number): Buffer {
  const data = Buffer.alloc(udpPort === undefined ? 4 : 6);
  data.writeUInt32BE(id, 0);
  if (udpPort !== undefined) data.writeUInt16BE(udpPort, 4);
  return encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, seqno, param: Buffer.from('"fake"'), data });
}

/** A fake server that admits clients and refuses every SUBSCRIBE with `status`. */
export function refusingSubscriptions(status: VsoaStatus): FakeServer {
  return new FakeServer((packet, socket) => {
    if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
    if (packet.type === PacketType.SUBSCRIBE) {
      socket.write(encodePacket({ type: PacketType.SUBSCRIBE, flags: Flag.REPLY, status, seqno: packet.seqno }));
    }
  });
}
