#!/usr/bin/env node
/**
 * Regenerates test/fixtures/official-capture.json: the bytes two instances of the official `vsoa`
 * package exchange on loopback, recorded by a relay between them (TCP both ways, and the quick
 * UDP the server sends). Run it when the official package changes:
 *
 *   node scripts/capture-official.js [--out file]
 *
 * The relay changes two ports on the way, so that the server's quick publishes pass through it
 * too: the client's UDP port in the handshake request (its tunid field) and the server's quick port
 * at the end of the handshake reply's data both become the relay's. The capture holds the bytes as
 * relayed.
 */
'use strict';
const { createServer, connect } = require('node:net');
const { createSocket } = require('node:dgram');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vsoa = require('vsoa');

const HOST = '127.0.0.1';
const WAIT_MS = 3000;
const out = process.argv.includes('--out')
  ? process.argv[process.argv.indexOf('--out') + 1]
  : join(__dirname, '..', 'test', 'fixtures', 'official-capture.json');

/** The VSOA packets in a chunk: [offset, length, pad] each, by the lengths their headers declare. */
function packetsOf(bytes) {
  const found = [];
  for (let at = 0; at + 20 <= bytes.length;) {
    const pad = bytes[at + 2] >> 6;
    const length = 20 + bytes.readUInt16BE(at + 10) + bytes.readUInt32BE(at + 12) + bytes.readUInt32BE(at + 16) + pad;
    found.push({ at, length, pad });
    at += length;
  }
  return found;
}

/** What the pad bytes of a chunk's packets are, for the description: the official package leaves them dirty. */
function padNote(bytes) {
  const notes = packetsOf(bytes)
    .filter(({ pad }) => pad > 0)
    .map(({ at, length, pad }) => {
      const padding = bytes.subarray(at + length - pad, at + length);
      const dirty = padding.some((byte) => byte !== 0);
      return `${pad} pad byte${pad > 1 ? 's' : ''}${dirty ? `, NOT zero (${padding.toString('hex')})` : ''}`;
    });
  return notes.length ? `, ${notes.join('; ')}` : '';
}

const packets = [];
let step = { 'C>S': 'unexpected', 'S>C': 'unexpected' };
function record(dir, transport, bytes) {
  const count = transport === 'tcp' ? packetsOf(bytes).length : 1;
  const what = step[dir];
  const desc = count > 1 ? `${count} packets in one TCP chunk: ${what}` : what;
  packets.push({ dir, transport, desc: `${desc}${padNote(bytes)}`, hex: bytes.toString('hex') });
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`capture: no ${what} within ${WAIT_MS} ms`)), WAIT_MS))),
  ]);
}

async function main() {
  // The official server: an echo, an application status, a stream, datagrams taken.
  const server = new vsoa.Server({ info: { name: 'cap' }, passwd: 'pw' });
  server.on('/echo', (cli, req, payload) => cli.reply(vsoa.code.SUCCESS, req.seqno, payload));
  server.on('/err', (cli, req) => cli.reply(130, req.seqno));
  server.on('/stream', (cli, req) => {
    const stream = server.createStream(WAIT_MS);
    stream.on('error', () => undefined);
    cli.reply(vsoa.code.SUCCESS, req.seqno, stream.tunid);
  });
  const remotes = [];
  server.onclient = (cli, connected) => connected && remotes.push(cli);
  await new Promise((resolve, reject) =>
    server.start({ domain: vsoa.AF_INET, addr: HOST, port: 0 }, undefined, (error) => (error ? reject(error) : resolve())),
  );
  const serverPort = server.address().port;

  // The relay: TCP both ways; the server's quick UDP through a socket whose port replaces the client's.
  const udpRelay = createSocket('udp4');
  await new Promise((resolve) => udpRelay.bind(0, HOST, resolve));
  let clientUdpPort = 0;
  // The client takes quick packets from the port it connected to: they leave from the relay's port number.
  const udpOut = createSocket('udp4');
  udpRelay.on('message', (bytes) => {
    record('S>C', 'udp', bytes);
    udpOut.send(bytes, clientUdpPort, HOST);
  });
  const sockets = [];
  const relay = createServer((fromClient) => {
    const toServer = connect(serverPort, HOST);
    sockets.push(fromClient, toServer);
    let first = true;
    fromClient.on('data', (bytes) => {
      if (first) {
        first = false;
        clientUdpPort = bytes.readUInt16BE(8);
        bytes = Buffer.from(bytes);
        bytes.writeUInt16BE(udpRelay.address().port, 8);
      }
      record('C>S', 'tcp', bytes);
      toServer.write(bytes);
    });
    let reply = true;
    toServer.on('data', (bytes) => {
      if (reply) {
        // The handshake reply's data ends with the server's quick port, which the client's UDP socket
        // then only hears from: the relay's port goes in its place.
        reply = false;
        const at = 20 + bytes.readUInt16BE(10) + bytes.readUInt32BE(12) + 4;
        bytes = Buffer.from(bytes);
        bytes.writeUInt16BE(relay.address().port, at);
      }
      record('S>C', 'tcp', bytes);
      fromClient.write(bytes);
    });
    for (const socket of [fromClient, toServer]) socket.on('error', () => undefined);
  });
  await new Promise((resolve) => relay.listen(0, HOST, resolve));
  await new Promise((resolve) => udpOut.bind(relay.address().port, HOST, resolve));

  const client = new vsoa.Client({ passwd: 'pw' });
  client.on('error', () => undefined);
  const call = (url, method, payload) =>
    withTimeout(
      new Promise((resolve) => client.call(url, { method }, payload, (error, reply) => resolve({ error, reply }), WAIT_MS)),
      `reply to ${url}`,
    );
  const message = (url) =>
    withTimeout(new Promise((resolve) => client.on('message', (at) => at === url && resolve())), `publish on ${url}`);

  step = {
    'C>S': "handshake request, password 'pw', tunid = the relay's UDP port, TUNNEL flag",
    'S>C': 'handshake reply: info {"name":"cap"}, data = client id and the (relay\'s) quick port',
  };
  await withTimeout(
    new Promise((resolve, reject) =>
      client.connect(
        { domain: vsoa.AF_INET, addr: HOST, port: relay.address().port },
        (error) => (error ? reject(error) : resolve()),
        undefined,
        WAIT_MS,
      ),
    ),
    'connection',
  );
  step = { 'C>S': 'RPC SET /echo param {"a":1} data 010203', 'S>C': 'RPC reply: echoed param and data' };
  await call('/echo', vsoa.method.SET, { param: { a: 1 }, data: Buffer.from([1, 2, 3]) });
  step = { 'C>S': 'RPC GET /nope', 'S>C': 'reply status 3 INVALID_URL' };
  await call('/nope', vsoa.method.GET);
  step = { 'C>S': 'RPC GET /err', 'S>C': 'reply status 130 (application-defined)' };
  await call('/err', vsoa.method.GET);
  step = { 'C>S': 'SUBSCRIBE with empty url and param ["/a/","/b"]', 'S>C': 'SUBSCRIBE reply' };
  await withTimeout(
    new Promise((resolve, reject) => client.subscribe(['/a/', '/b'], (error) => (error ? reject(error) : resolve()), WAIT_MS)),
    'subscribe',
  );
  step = { 'C>S': 'unexpected', 'S>C': 'quick PUBLISH /a/y over UDP' };
  const quick = message('/a/y');
  server.publish('/a/y', { param: { q: 1 } }, true);
  await quick;
  step = { 'C>S': 'unexpected', 'S>C': 'PUBLISH /a/x over TCP' };
  const reliable = message('/a/x');
  server.publish('/a/x', { param: { r: 2 } });
  await reliable;
  step = { 'C>S': 'DATAGRAM /dg {"d":1} followed by PINGECHO', 'S>C': 'PINGECHO reply' };
  const pinged = withTimeout(
    new Promise((resolve, reject) => {
      client.datagram('/dg', { param: { d: 1 } });
      client.ping((error) => (error ? reject(error) : resolve()), WAIT_MS);
    }),
    'ping reply',
  );
  await pinged;
  step = { 'C>S': 'RPC GET /stream', 'S>C': "RPC reply with REPLY|TUNNEL flags and tunid = the stream's TCP port" };
  await call('/stream', vsoa.method.GET);

  client.close();
  for (const socket of sockets) socket.destroy();
  relay.close();
  udpRelay.close();
  udpOut.close();
  await new Promise((resolve) => server.close(() => resolve()));
  const version = require('vsoa/package.json').version;
  const capture = {
    source: `two instances of the official vsoa@${version} Node package on loopback, server password 'pw', recorded by scripts/capture-official.js between them; bytes as relayed (TCP chunks may hold several packets; the handshake carries the relay's UDP ports)`,
    packets,
  };
  writeFileSync(out, `${JSON.stringify(capture, null, 1)}\n`);
  console.log(`${packets.length} chunks from the official vsoa@${version} written to ${out}`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
