// @ts-check
/** The official `vsoa` package's server under test, in its own process, driven like server.ts. */
'use strict';
const vsoa = require('vsoa');
const { readConfig, ServerHost } = require('./lib/server-host');

const config = readConfig();
const info = { name: 'stress' };
const server = new vsoa.Server(config.passwd ? { info, passwd: config.passwd } : { info });
const host = new ServerHost({
  publish: (url, param, data) => server.publish(url, { param: /** @type {object} */ (param), data }),
  counters: () => null,
  clients: () => server.count(),
});
server.on('/echo', (cli, req, payload) => cli.reply(0, req.seqno, payload));
server.on('/slow', () => undefined); // never answered: calls stay in flight
/** @type {import('vsoa').onDataCb} */
const ondata = (_cli, url) => host.datagram(url);
server.ondata = ondata;

server.start({ domain: vsoa.AF_INET, addr: config.host, port: config.port }, undefined, (error) => {
  if (error) throw error;
  const port = server.address()?.port ?? 0;
  // Its UDP socket: bound apart from TCP (on another port when started on port 0).
  const quick = /** @type {{ _quick: import('node:dgram').Socket }} */ (/** @type {unknown} */ (server))._quick;
  const announce = () => host.ready(port, quick.address().port);
  try {
    announce();
  } catch {
    quick.once('listening', announce); // not bound yet
  }
});
