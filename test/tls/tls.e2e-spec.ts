/**
 * TLS, over real sockets on 127.0.0.1 with port 0:
 *   - our VsoaClient <-> our VsoaServer (one-way and mutual authentication, refusals, peer
 *     certificates, quick sends refused because UDP would be clear text);
 *   - interop with the official `vsoa` package in both directions.
 *
 * Certificates come from a throw-away PKI made at test time (test/helpers/certs.ts). Nothing
 * sleeps to synchronise: every check waits for the event or promise it expects, with a bound.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer, AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ConnectionOptions, PeerCertificate, TlsOptions } from 'node:tls';
import * as vsoa from 'vsoa';
import { VsoaClient, VsoaConnectError, VsoaError, VsoaServer } from '@vsoa/core';
import type { RemoteClient, VsoaClientOptions, VsoaPayload, VsoaServerStream } from '@vsoa/core';
import { disposeTestPki, makeTestPki, TEST_CN, TestPki } from '../helpers/certs';
import { nextEvent } from '../helpers/events';
import { readDigest, writeRandom } from '../helpers/stream-data';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
/** How long any single expected event may take before the test fails. */
const WAIT_MS = 3000;
/** Binary data with a zero byte, 0xff and a length that needs padding on the wire. */
const DATA = Buffer.from([0x00, 0x01, 0x29, 0xfe, 0xff]);
const PARAM = { a: 1, s: 'tls', list: [1, 2] };

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => disposeTestPki());

/** Everything a test opens registers its teardown here; afterEach runs them newest first. */
const teardowns = teardownsAfterEach();

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Server TLS options; `mutual` makes a client certificate from the test CA mandatory. */
function serverTls(mutual = false): TlsOptions {
  const base = { key: pki.server.key, cert: pki.server.cert };
  return mutual ? { ...base, ca: pki.ca, requestCert: true, rejectUnauthorized: true } : base;
}

/** Client TLS options trusting the test CA; `withCert` also presents the client certificate. */
function clientTls(withCert = false): ConnectionOptions {
  return withCert ? { ca: pki.ca, key: pki.client.key, cert: pki.client.cert } : { ca: pki.ca };
}

/** Our TLS server with an '/echo' command that answers with the request's payload. */
async function startOurServer(tls: TlsOptions): Promise<{ server: VsoaServer; port: number }> {
  const server = new VsoaServer({ info: { name: 'ours-tls' } });
  teardowns.push(() => server.close());
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  await server.listen({ host: HOST, port: 0, tls });
  return { server, port: server.address()!.port };
}

function newOurClient(options: VsoaClientOptions = {}): VsoaClient {
  const client = new VsoaClient({ timeout: WAIT_MS, ...options });
  teardowns.push(() => client.close());
  return client;
}

function connectOurClient(client: VsoaClient, port: number, tls: ConnectionOptions): Promise<unknown> {
  return client.connect(`vsoa://${HOST}:${port}`, { tls, timeout: WAIT_MS });
}

/** One SET call to '/echo' that must come back with the same param and data. */
async function expectEcho(client: VsoaClient): Promise<void> {
  const reply = await client.fetch('/echo', { method: 'SET', payload: { param: PARAM, data: DATA } });
  expect(reply.status).toBe(0);
  expect(reply.payload.param).toEqual(PARAM);
  expect(reply.payload.data).toEqual(DATA);
}

/** `send` must throw a VsoaError QUICK_OVER_TLS: quick packets are UDP, in clear text. */
function expectQuickOverTls(send: () => unknown): void {
  let thrown: unknown;
  try {
    send();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(VsoaError);
  expect(thrown).toMatchObject({ code: 'QUICK_OVER_TLS' });
}

/** The next client whose handshake completes on `server`. */
function nextClient(server: VsoaServer): Promise<RemoteClient> {
  return nextEvent<[RemoteClient, boolean]>(server, 'client', (_cli, connected) => connected, WAIT_MS).then(([cli]) => cli);
}

/** The certificate of the next client to connect (kept from its handshake, so readable after it left). */
function nextClientCertificate(server: VsoaServer): Promise<PeerCertificate | null> {
  return nextClient(server).then((cli) => cli.peerCertificate());
}

// --- the official client, in a child process ---

const OFFICIAL_CLIENT_SCRIPT = join(__dirname, 'official-tls-client.js');
/** The child's own guard is 10 s; this one kills it should that fail. */
const CHILD_MS = 15_000;

/** What official-tls-client.js prints. */
interface OfficialResult {
  stage?: 'connect' | 'call' | 'guard';
  error?: string;
  code?: string;
  status?: number;
  info?: unknown;
  param?: unknown;
  /** Reply data, hex. */
  data?: string | null;
}

interface ChildRun {
  exitCode: number | null;
  result: OfficialResult | undefined;
  stderr: string;
}

/**
 * Runs the official client against `port` (one SET '/echo' with PARAM and DATA). `trustCa`
 * points NODE_EXTRA_CA_CERTS at the test CA; `withCert` presents the client certificate.
 */
function runOfficialClient(port: number, options: { trustCa: boolean; withCert?: boolean }): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (options.trustCa) env.NODE_EXTRA_CA_CERTS = pki.caFile;
  if (options.withCert) {
    env.VSOA_TEST_CERT = pki.client.cert;
    env.VSOA_TEST_KEY = pki.client.key;
  }
  const child = spawn(process.execPath, [OFFICIAL_CLIENT_SCRIPT, String(port), '/echo', JSON.stringify(PARAM), DATA.toString('hex')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CHILD_MS,
    killSignal: 'SIGKILL',
  });
  // Also on a Jest timeout: never leave the child behind.
  teardowns.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      const line = stdout.trim().split('\n').pop();
      let result: OfficialResult | undefined;
      try {
        result = line ? (JSON.parse(line) as OfficialResult) : undefined;
      } catch {
        result = undefined; // reported through the assertions, with stdout in stderr below
        stderr += `\n(stdout was not JSON: ${stdout})`;
      }
      resolve({ exitCode, result, stderr });
    });
  });
}

// --- the official server ---

/** The official server over TLS, with an '/echo' command that answers with the request's payload. */
async function startOfficialServer(tls: TlsOptions): Promise<{ server: vsoa.Server; port: number }> {
  const server = new vsoa.Server({ info: { name: 'official-tls' } });
  server.on('/echo', (cli, req, payload) => cli.reply(vsoa.code.SUCCESS, req.seqno, payload));
  teardowns.push(() => closeOfficial(server));
  await startOfficial(server, tls);
  return { server, port: server.address()!.port };
}

// ---------------------------------------------------------------------------------------------
// Our client <-> our server
// ---------------------------------------------------------------------------------------------

describe('TLS: our VsoaClient with our VsoaServer', () => {
  it('one-way TLS: handshakes, resolves with the server info and carries an RPC round trip', async () => {
    const { server, port } = await startOurServer(serverTls());
    const client = newOurClient();
    const connected = nextClient(server);

    await expect(connectOurClient(client, port, clientTls())).resolves.toEqual({ name: 'ours-tls' });
    await expectEcho(client);

    expect(client.peerCertificate()?.subject.CN).toBe(TEST_CN.server);
    expect(client.peerCertificate()?.issuer.CN).toBe(TEST_CN.ca);
    // No client certificate was asked for, so the server has none to show.
    expect((await connected).peerCertificate()).toBeNull();
  });

  it('a server certificate from a CA the client does not trust: connect rejects with SSL_HS_FAILED', async () => {
    const { server, port } = await startOurServer(serverTls());
    const client = newOurClient();

    const attempt = connectOurClient(client, port, { ca: pki.wrongCa });

    await expect(attempt).rejects.toBeInstanceOf(VsoaConnectError);
    // The cause shows it failed on the chain, not on something else.
    await expect(attempt).rejects.toMatchObject({ code: 'SSL_HS_FAILED', cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } });
    expect(client.connected).toBe(false);
    expect(server.count).toBe(0);
  });

  it('checks the host name: servername localhost matches the DNS SAN, another name fails with SSL_HS_FAILED', async () => {
    const { port } = await startOurServer(serverTls());

    const named = newOurClient();
    await connectOurClient(named, port, { ...clientTls(), servername: 'localhost' });
    await expectEcho(named);

    // Same CA, same server: only the name is wrong, so this shows the name is checked at all.
    const misnamed = newOurClient();
    await expect(connectOurClient(misnamed, port, { ...clientTls(), servername: 'vsoa.invalid' })).rejects.toMatchObject({
      code: 'SSL_HS_FAILED',
      cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    });
  });

  it('mutual TLS: a client certificate from the CA is accepted; each side reads the other certificate', async () => {
    const { server, port } = await startOurServer(serverTls(true));
    const client = newOurClient();
    const connected = nextClient(server);

    await connectOurClient(client, port, clientTls(true));
    await expectEcho(client);

    expect(client.peerCertificate()?.subject.CN).toBe(TEST_CN.server);
    const remote = await connected;
    expect(remote.peerCertificate()?.subject.CN).toBe(TEST_CN.client);
    expect(remote.peerCertificate()?.issuer.CN).toBe(TEST_CN.ca);
  });

  it("a server given ca alone requires client certificates, as the seed's ca_cert; requestCert: false keeps it one-way", async () => {
    const { server, port } = await startOurServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca });
    await expect(connectOurClient(newOurClient(), port, clientTls())).rejects.toMatchObject({ code: 'SSL_HS_FAILED' });
    expect(server.counters.tlsHandshakeFailures).toBe(1);
    const withCert = newOurClient();
    await connectOurClient(withCert, port, clientTls(true));
    await expectEcho(withCert);

    const oneWay = await startOurServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca, requestCert: false });
    const plain = newOurClient();
    await connectOurClient(plain, oneWay.port, clientTls());
    await expectEcho(plain);
  });

  // Under TLS 1.3 the client's side of the handshake completes before the server has checked the
  // client's certificate, so the refusal arrives after our client sent its SERVINFO; under 1.2
  // it arrives during the handshake. Both must end as a connect error.
  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'mutual TLS (%s): a client without a certificate is refused with SSL_HS_FAILED; the server keeps serving',
    async (version) => {
      const { server, port } = await startOurServer(serverTls(true));
      const refused = newOurClient();

      const attempt = connectOurClient(refused, port, { ...clientTls(), maxVersion: version });

      await expect(attempt).rejects.toBeInstanceOf(VsoaConnectError);
      await expect(attempt).rejects.toMatchObject({ code: 'SSL_HS_FAILED' });
      expect(refused.connected).toBe(false);
      // The TLS layer refused it: it never became a connection of the VSOA server, but it is counted.
      expect(server.counters.connections).toBe(0);
      expect(server.counters.tlsHandshakeFailures).toBe(1);

      const good = newOurClient();
      await connectOurClient(good, port, { ...clientTls(true), maxVersion: version });
      await expectEcho(good);
      expect(server.count).toBe(1);
    },
  );

  it('a quick datagram on a TLS client throws QUICK_OVER_TLS; over TCP it is delivered', async () => {
    const { server, port } = await startOurServer(serverTls());
    const client = newOurClient();
    await connectOurClient(client, port, clientTls());

    expectQuickOverTls(() => client.datagram('/dg', { param: { quick: true } }, { quick: true }));

    const delivered = nextEvent<[RemoteClient, string, VsoaPayload, boolean]>(server, 'datagram', undefined, WAIT_MS);
    expect(client.datagram('/dg', { param: { quick: false }, data: DATA })).toBe(true);
    const [, url, payload, quick] = await delivered;
    expect({ url, param: payload.param, data: payload.data, quick }).toEqual({
      url: '/dg',
      param: { quick: false },
      data: DATA,
      quick: false,
    });
  });

  it('a TLS client that opts in with allowQuickOverTls sends quick datagrams (clear text, by choice)', async () => {
    const { server, port } = await startOurServer(serverTls());
    const client = newOurClient({ allowQuickOverTls: true });
    await connectOurClient(client, port, clientTls());

    const delivered = nextEvent<[RemoteClient, string, VsoaPayload, boolean]>(server, 'datagram', undefined, WAIT_MS);
    expect(client.datagram('/dg/quick', { param: { n: 1 }, data: DATA }, { quick: true })).toBe(true);
    const [, url, payload, quick] = await delivered;
    expect({ url, param: payload.param, data: payload.data, quick }).toEqual({
      url: '/dg/quick',
      param: { n: 1 },
      data: DATA,
      quick: true,
    });
  });

  it('quick publish and quick datagram on a TLS server throw QUICK_OVER_TLS; a TCP publish still arrives', async () => {
    const { server, port } = await startOurServer(serverTls());
    const client = newOurClient();
    const connected = nextClient(server);
    await connectOurClient(client, port, clientTls());
    const remote = await connected;
    await client.subscribe('/news');

    expectQuickOverTls(() => server.publish('/news', { param: { n: 1 } }, { quick: true }));
    expectQuickOverTls(() => remote.datagram('/dg', { param: { n: 2 } }, { quick: true }));

    // Had the refused quick publish gone out anyway, on loopback it would be the first message seen.
    const received = nextEvent<[string, VsoaPayload, boolean]>(client, 'message', undefined, WAIT_MS);
    expect(server.publish('/news', { param: { n: 3 }, data: DATA })).toBe(1);
    const [url, payload, quick] = await received;
    expect({ url, param: payload.param, data: payload.data, quick }).toEqual({ url: '/news', param: { n: 3 }, data: DATA, quick: false });
  });
});

// ---------------------------------------------------------------------------------------------
// Interop with the official vsoa package
// ---------------------------------------------------------------------------------------------

describe('TLS: streams', () => {
  it('a stream from a mutual-TLS server is TLS at both ends and carries its bytes', async () => {
    const { server, port } = await startOurServer(serverTls(true));
    const opened: VsoaServerStream[] = [];
    server.command('/download', async (cli, req) => {
      const stream = await server.createStream({ client: cli, timeout: WAIT_MS });
      opened.push(stream);
      teardowns.push(() => stream.destroy());
      cli.reply(req.seqno, undefined, { tunid: stream.tunid });
    });
    const client = newOurClient();
    await connectOurClient(client, port, clientTls(true));
    const reply = await client.fetch('/download');
    const clientEnd = client.createStream(reply.tunid);
    teardowns.push(() => clientEnd.destroy());
    const [serverEnd] = opened;
    await Promise.all([once(clientEnd, 'connect'), once(serverEnd, 'connect')]);
    expect(clientEnd.encrypted).toBe(true);
    expect(serverEnd.encrypted).toBe(true);
    const [sent, got] = await Promise.all([writeRandom(serverEnd, 4 * 1024 * 1024), readDigest(clientEnd)]);
    expect(got).toEqual(sent);
  });

  it("a client stream that cannot finish its TLS handshake in time emits 'timeout' and closes", async () => {
    const { port } = await startOurServer(serverTls());
    const client = newOurClient();
    await connectOurClient(client, port, clientTls());
    // A plain TCP listener that accepts and never speaks TLS.
    const silent = createNetServer((socket) => teardowns.push(() => socket.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
    teardowns.push(() => new Promise((resolve) => silent.close(resolve)));
    const stream = client.createStream((silent.address() as AddressInfo).port, { timeout: 200 });
    const events: string[] = [];
    for (const event of ['connect', 'timeout', 'error']) stream.on(event, () => events.push(event));
    await once(stream, 'close');
    expect(events).toEqual(['timeout']);
  });
});

describe('TLS interop: official vsoa.Server with our VsoaClient', () => {
  it('handshakes, carries an RPC round trip and shows the server certificate', async () => {
    const { port } = await startOfficialServer(serverTls());
    const client = newOurClient();

    await expect(connectOurClient(client, port, clientTls())).resolves.toEqual({ name: 'official-tls' });
    await expectEcho(client);

    expect(client.peerCertificate()?.subject.CN).toBe(TEST_CN.server);
    expect(client.peerCertificate()?.issuer.CN).toBe(TEST_CN.ca);
  });

  it('presents our client certificate to an official server that requires one', async () => {
    // The official server hands its tlsOpt to tls.createServer() as is, so it can require one.
    const { port } = await startOfficialServer(serverTls(true));

    const refused = newOurClient();
    await expect(connectOurClient(refused, port, clientTls())).rejects.toMatchObject({ code: 'SSL_HS_FAILED' });

    const client = newOurClient();
    await connectOurClient(client, port, clientTls(true));
    await expectEcho(client);
  });
});

describe('TLS interop: our VsoaServer with the official vsoa.Client (child process)', () => {
  it('trusting our CA through NODE_EXTRA_CA_CERTS, it handshakes and gets its RPC reply', async () => {
    const { server, port } = await startOurServer(serverTls());
    const certificate = nextClientCertificate(server);

    const run = await runOfficialClient(port, { trustCa: true });

    expect({ exitCode: run.exitCode, result: run.result }).toEqual({
      exitCode: 0,
      result: { info: { name: 'ours-tls' }, param: PARAM, data: DATA.toString('hex') },
    });
    // It presented no certificate, and was not asked for one.
    expect(await certificate).toBeNull();
  });

  it('with a client certificate, passes mutual TLS and our server reads that certificate', async () => {
    const { server, port } = await startOurServer(serverTls(true));
    const certificate = nextClientCertificate(server);

    const run = await runOfficialClient(port, { trustCa: true, withCert: true });

    expect({ exitCode: run.exitCode, result: run.result }).toEqual({
      exitCode: 0,
      result: { info: { name: 'ours-tls' }, param: PARAM, data: DATA.toString('hex') },
    });
    expect((await certificate)?.subject.CN).toBe(TEST_CN.client);
  });

  it('without NODE_EXTRA_CA_CERTS it refuses our certificate (it does verify the server)', async () => {
    const { server, port } = await startOurServer(serverTls());

    const run = await runOfficialClient(port, { trustCa: false });

    expect(run.exitCode).toBe(1);
    expect(run.result).toMatchObject({ stage: 'connect', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(server.count).toBe(0);
  });
});
