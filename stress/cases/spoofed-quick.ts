/** A quick datagram carrying a connected client's id, sent from another address (127.0.0.2). */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { VsoaClient } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { moved } from '../lib/format';
import { quickDatagram } from '../lib/wire';
import { until } from '../lib/time';

const SPOOFED = 100;

function udpFrom(address: string): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve(socket));
  });
}

function send(socket: UdpSocket, bytes: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const server = await ctx.startServer();
  const client = new VsoaClient({ timeout: 5000 });
  const spoofer = await udpFrom('127.0.0.2');
  const local = await udpFrom('127.0.0.1');
  try {
    await client.connect(`vsoa://127.0.0.1:${server.port}`);
    const before = await server.stats();
    for (let i = 0; i < SPOOFED; i++) await send(spoofer, quickDatagram(client.id, '/probe/spoofed', { i }), server.quickPort);
    // Control: the same bytes from the client's own address are delivered (the id is right).
    await send(local, quickDatagram(client.id, '/probe/control', {}), server.quickPort);
    // Marker from the client itself: the server reads its UDP socket in order, so once the marker
    // is delivered, every spoofed datagram has been handled.
    client.datagram('/probe/marker', { param: {} }, { quick: true });
    const marked = await until(async () => ((await server.stats()).probes['/probe/marker'] ?? 0) > 0, 3000);
    found.check(marked, 'the client’s own quick datagram (marker) was not delivered within 3 s');
    const after = await server.stats();
    const delivered = after.probes['/probe/spoofed'] ?? 0;
    found.check(delivered === 0, `${delivered} of ${SPOOFED} spoofed datagrams delivered to the server’s listener`);
    found.check((after.probes['/probe/control'] ?? 0) === 1, 'control datagram (same bytes from 127.0.0.1) not delivered');
    const counted = moved(before.counters, after.counters).spoofedDatagrams ?? 0;
    if (after.counters) found.check(counted === SPOOFED, `counters.spoofedDatagrams moved by ${counted}, expected ${SPOOFED}`);
    else found.fail('the server keeps no counters: spoofed datagrams are not counted');
    const figure = `${delivered}/${SPOOFED} spoofed delivered, ${after.counters ? counted : 'n/a'} counted; control delivered`;
    return found.outcome(figure);
  } finally {
    spoofer.close();
    local.close();
    await client.close();
  }
}

export const spoofedQuickCase: StressCase = {
  id: 'spoofed',
  title: () => `spoofed quick datagrams (${SPOOFED} from 127.0.0.2)`,
  targets: ['ours', 'official'],
  timeout: 30_000,
  run,
};
