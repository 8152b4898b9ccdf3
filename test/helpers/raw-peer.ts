import { connect, Socket } from 'node:net';
import { encodePacket, PacketParser, PacketType, VsoaPacket, Flag } from '@vsoa/core';

/** A raw TCP peer speaking VSOA packets by hand, for tests that need exact control of the bytes. */
export class RawPeer {
  readonly packets: VsoaPacket[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    const parser = new PacketParser(
      (p) => {
        this.packets.push(p);
        for (const w of this.waiters.splice(0)) w();
      },
      () => socket.destroy(),
    );
    socket.on('data', (chunk) => parser.push(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiters.splice(0)) w();
        resolve();
      }),
    );
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends the handshake and returns its reply. */
  async handshake(passwd?: string): Promise<VsoaPacket> {
    this.send(
      encodePacket({
        type: PacketType.SERVINFO,
        flags: Flag.TUNNEL,
        param: Buffer.from(JSON.stringify(passwd === undefined ? {} : { passwd })),
      }),
    );
    return this.next((p) => p.type === PacketType.SERVINFO);
  }

  /** Waits for a received packet matching `filter` (already received ones count). */
  async next(filter: (p: VsoaPacket) => boolean, ms = 5000): Promise<VsoaPacket> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.packets.find(filter);
      if (found) {
        this.packets.splice(this.packets.indexOf(found), 1);
        return found;
      }
      if (this.closed) throw new Error('connection closed while waiting for a packet');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching packet within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves when the server closes the connection; rejects after `ms`. */
  whenClosed(ms = 5000): Promise<void> {
    return Promise.race([
      this.closedPromise,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms).unref()),
    ]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
