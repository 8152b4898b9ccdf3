import type { Socket } from 'node:net';

/** TCP keepalive on a socket: `true` / `false`, or the idle time in ms before the first probe (0: off). */
export function applyKeepAlive(socket: Socket, enable: boolean | number): void {
  if (typeof enable === 'number') socket.setKeepAlive(enable > 0, enable);
  else socket.setKeepAlive(enable);
}
