/** Runs the echo and stream scenarios over plain sockets: the ceiling. */
import { connect as netConnect, Socket } from 'node:net';
import { fail, maxRss, report, tell } from '../child';
import { callsPerSecond, secondsSince } from '../rpc-runner';
import type { Scenario, Timing } from '../scenarios';

/** A length-prefixed echo link: call() sends one frame and resolves when its echo is back. */
async function echoLink(port: number): Promise<{ call: () => Promise<void>; close: () => void }> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write('E');
  const body = Buffer.from('{"a":1}');
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  const waiting: Array<() => void> = [];
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4 && pending.length - offset >= 4 + pending.readUInt32BE(offset)) {
      offset += 4 + pending.readUInt32BE(offset);
      waiting.shift()?.();
    }
    pending = pending.subarray(offset);
  });
  let corked = false;
  return {
    call: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        // Batch the writes of one tick, as our client does.
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(() => {
            corked = false;
            socket.uncork();
          });
        }
        socket.write(frame);
      }),
    close: () => socket.destroy(),
  };
}

async function stream(port: number, bytes: number): Promise<number> {
  const start = process.hrtime.bigint();
  const socket: Socket = netConnect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const request = Buffer.alloc(5);
  request[0] = 0x53;
  request.writeUInt32BE(bytes / 1024 / 1024, 1);
  socket.write(request);
  let got = 0;
  socket.on('data', (chunk: Buffer) => (got += chunk.length));
  await new Promise((resolve) => socket.once('end', resolve));
  if (got !== bytes) throw new Error(`stream carried ${got} of ${bytes} bytes`);
  return got / 1024 / 1024 / secondsSince(start);
}

async function main(): Promise<void> {
  const { port, scenarios, timing } = JSON.parse(process.env.BENCH_JOB ?? '{}') as { port: number; scenarios: Scenario[]; timing: Timing };
  for (const scenario of scenarios) {
    if (scenario.kind === 'rpc') {
      const link = await echoLink(port);
      report({ id: scenario.id, value: await callsPerSecond(link.call, scenario.inFlight, timing), unit: 'calls/s' });
      link.close();
    } else if (scenario.kind === 'stream') {
      report({ id: scenario.id, value: await stream(port, scenario.bytes), unit: 'MiB/s' });
    }
  }
  tell({ type: 'done', maxRss: maxRss() });
}

main().catch(fail);
