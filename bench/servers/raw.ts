/**
 * The ceiling: a plain Node socket server. The first byte picks the mode: 'E' echoes
 * length-prefixed frames (u32 length + body), writes batched per tick like ours; 'S' + u32
 * MiB count sends that many zero bytes and ends.
 */
import { createServer, Socket } from 'node:net';
import { answerStats, fail, pumpZeros, tell } from '../child';

function echo(socket: Socket, first: Buffer): void {
  let pending = first;
  let corked = false;
  const onData = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32BE(offset);
      if (pending.length - offset < 4 + length) break;
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      socket.write(pending.subarray(offset, offset + 4 + length));
      offset += 4 + length;
    }
    pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
  };
  socket.on('data', onData);
  if (first.length > 0) onData(Buffer.alloc(0));
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.once('data', (chunk: Buffer) => {
    if (chunk[0] === 0x53 /* S */ && chunk.length >= 5) pumpZeros(socket, chunk.readUInt32BE(1) * 1024 * 1024);
    else echo(socket, chunk.subarray(1));
  });
});
server.on('error', fail);
server.listen(0, '127.0.0.1', () => {
  answerStats();
  tell({ type: 'ready', port: (server.address() as { port: number }).port });
});
