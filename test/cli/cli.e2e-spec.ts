/** The `vsoa` command line, run as a child process against an in-process server. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VsoaServer } from '@vsoa/core';
import type { RemoteClient, VsoaPayload } from '@vsoa/core';
import { disposeTestPki, makeTestPki } from '../helpers/certs';
import { nextEvent } from '../helpers/events';
import { teardownsAfterEach } from '../helpers/teardowns';
import { buildCli, CliProcess, CliResult } from './cli-process';

const PASSWD = 'secret';
const FILE_BYTES = randomBytes(300_000);

const teardowns = teardownsAfterEach();
let cli: { main: string; dispose: () => void };
let server: VsoaServer;
let base: string;
let work: string;

/** A server with /echo, /slow (never answers), /file (a stream) and a password. */
async function startServer(port = 0, tls?: { key: string; cert: string }): Promise<VsoaServer> {
  const vsoa = new VsoaServer({ info: { name: 'cli-test' }, passwd: PASSWD });
  vsoa.command('/echo', (client, req, payload) =>
    client.reply(req.seqno, { param: { method: req.method, param: payload.param ?? null }, data: payload.data }),
  );
  vsoa.command('/slow', () => undefined);
  vsoa.command('/file', async (client, req) => {
    const stream = await vsoa.createStream({ client, timeout: 5000 });
    stream.on('error', () => undefined); // a client that gives up resets the tunnel
    client.reply(req.seqno, { param: { size: FILE_BYTES.length } }, { tunid: stream.tunid });
    stream.end(FILE_BYTES);
  });
  await vsoa.listen({ host: '127.0.0.1', port, tls });
  return vsoa;
}

function portOf(vsoa: VsoaServer): number {
  return vsoa.address()!.port;
}

/** Starts the CLI; it is killed after the test if still running. */
function start(args: string[], options: { input?: string | Buffer } = {}): CliProcess {
  const child = new CliProcess(cli.main, args, options);
  teardowns.push(() => child.kill());
  return child;
}

function run(args: string[], options: { input?: string | Buffer } = {}): Promise<CliResult> {
  return start(args, options).exit();
}

/** A failure is one line on stderr, not a stack trace. */
function expectOneErrorLine(result: CliResult, pattern: RegExp): void {
  const line = result.stderr.trimEnd();
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** A mock called for each client that connects to the shared server during the test. */
function watchConnections(): jest.Mock {
  const connections = jest.fn();
  server.on('client', connections);
  teardowns.push(() => server.off('client', connections));
  return connections;
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  [cli, server] = await Promise.all([buildCli(), startServer()]);
  base = `vsoa://127.0.0.1:${portOf(server)}`;
  work = mkdtempSync(join(tmpdir(), 'vsoa-cli-test-'));
}, 30_000);

afterAll(async () => {
  await server?.close();
  cli?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
  disposeTestPki();
});

describe('help', () => {
  it('lists the commands and the exit codes, and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['call', 'sub', 'datagram', 'ping', 'lookup', 'position', 'stream'])
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(result.stdout).toMatch(/Exit codes: 0 success, 1 .*2 usage error, 3 connection/s);
  });

  it('prints every command help with -h', async () => {
    for (const name of ['call', 'sub', 'datagram', 'ping', 'lookup', 'position', 'stream']) {
      const result = await run([name, '-h']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: vsoa ${name} `));
    }
  });

  it('exits 2 without a command, with an unknown one, or with an unknown option', async () => {
    expect((await run([])).code).toBe(2);
    expectOneErrorLine(await run(['frobnicate']), /unknown command "frobnicate"/);
    const result = await run(['call', `${base}/echo`, '--bogus']);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /^vsoa call: Unknown option '--bogus'$/m);
  });
});

describe('call', () => {
  it('prints the status, the param and the data size, and exits 0', async () => {
    const file = join(work, 'data.bin');
    writeFileSync(file, Buffer.alloc(1234, 7));
    const result = await run(['call', `${base}/echo`, '--passwd', PASSWD, '--param', '{"a":[1,2]}', '--data', `@${file}`]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'SUCCESS (0)\nparam: ' + JSON.stringify({ method: 'GET', param: { a: [1, 2] } }, null, 2) + '\ndata: 1234 bytes\n',
    );
  });

  it('prints one JSON line with --json, and calls with SET and data from stdin', async () => {
    const result = await run(['call', `${base}/echo`, '--passwd', PASSWD, '--set', '--data', '-', '--json'], { input: 'hello' });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 0,
      statusName: 'SUCCESS',
      param: { method: 'SET', param: null },
      dataBytes: 5,
      tunid: 0,
    });
  });

  it("takes the method by name in any case or by the seed's number, and refuses another before connecting", async () => {
    for (const method of ['set', 'SET', '1']) {
      const result = await run(['call', `${base}/echo`, '--passwd', PASSWD, '--method', method, '--json']);
      expect(JSON.parse(result.stdout)).toMatchObject({ param: { method: 'SET' } });
    }
    const connections = watchConnections();
    const refused = await run(['call', `${base}/echo`, '--passwd', PASSWD, '--method', 'post']);
    expect(refused.code).toBe(2);
    expectOneErrorLine(refused, /^vsoa call: method must be 'GET', 'SET', METHOD_GET \(0\) or METHOD_SET \(1\), not "post"$/);
    expect(connections).not.toHaveBeenCalled();
  });

  it('exits 1 on a non-zero status, naming it on stdout and stderr', async () => {
    const result = await run(['call', `${base}/nope`, '--passwd', PASSWD]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^INVALID_URL \(3\)$/m);
    expectOneErrorLine(result, /^vsoa call: \/nope answered INVALID_URL \(3\): the server has no command at this URL$/);
    const json = await run(['call', `${base}/nope`, '--passwd', PASSWD, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 3, statusName: 'INVALID_URL' });
  });

  it('exits 3 with one line when the port is unreachable', async () => {
    const result = await run(['call', `vsoa://127.0.0.1:${await closedPort()}/echo`]);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expectOneErrorLine(result, /^vsoa call: unreachable: .*ECONNREFUSED/);
  });

  it('exits 3 with one line on a wrong password', async () => {
    const result = await run(['call', `${base}/echo`, '--passwd', 'wrong']);
    expect(result.code).toBe(3);
    expectOneErrorLine(result, /^vsoa call: wrong password/);
  });

  it('exits 3 with one line when the reply does not come within --timeout', async () => {
    const result = await run(['call', `${base}/slow`, '--passwd', PASSWD, '--timeout', '300']);
    expect(result.code).toBe(3);
    expectOneErrorLine(result, /^vsoa call: timeout: .*\/slow: no reply in \d+ ms/);
  });

  it('exits 2 with one line on a --param that is not JSON, before connecting', async () => {
    const connections = watchConnections();
    const result = await run(['call', `${base}/echo`, '--param', '{oops']);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /^vsoa call: --param is not JSON: /);
    expect(connections).not.toHaveBeenCalled();
  });

  it('exits 2 on a bad URL, a bad --timeout and a missing --data file', async () => {
    expectOneErrorLine(await run(['call', 'http://127.0.0.1/echo']), /expected vsoa:\/\/host:port/);
    expectOneErrorLine(await run(['call', `${base}/echo`, '--timeout', 'soon']), /--timeout must be a whole number/);
    const missing = await run(['call', `${base}/echo`, '--data', '@/no/such/file']);
    expect(missing.code).toBe(2);
    expectOneErrorLine(missing, /--data: cannot read \/no\/such\/file: no such file$/);
  });

  it('calls over TLS with --tls-ca, and exits 3 with a CA that does not match', async () => {
    const pki = await makeTestPki();
    const secure = await startServer(0, pki.server);
    teardowns.push(() => secure.close());
    const url = `vsoa://127.0.0.1:${portOf(secure)}/echo`;
    const ok = await run(['call', url, '--passwd', PASSWD, '--tls-ca', pki.caFile, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ statusName: 'SUCCESS' });
    const wrongCa = join(work, 'wrong-ca.pem');
    writeFileSync(wrongCa, pki.wrongCa);
    const refused = await run(['call', url, '--passwd', PASSWD, '--tls-ca', wrongCa]);
    expect(refused.code).toBe(3);
    expectOneErrorLine(refused, /^vsoa call: TLS handshake failed: /);
  });
});

describe('datagram', () => {
  it('delivers a datagram with its param and data, over TCP or quick', async () => {
    for (const quick of [false, true]) {
      const received = nextEvent<[RemoteClient, string, VsoaPayload, boolean]>(server, 'datagram');
      const args = ['datagram', `${base}/sensor/speed`, '--passwd', PASSWD, '--param', '42', '--data', 'xyz'];
      const result = await run(quick ? [...args, '--quick'] : args);
      expect(result).toMatchObject({ code: 0, stdout: `sent /sensor/speed${quick ? ' (quick)' : ''}\n`, stderr: '' });
      const [, url, payload, wasQuick] = await received;
      expect([url, payload.param, payload.data?.toString(), wasQuick]).toEqual(['/sensor/speed', 42, 'xyz', quick]);
    }
  });
});

describe('ping', () => {
  it('prints one line per reply and a min/avg/max summary', async () => {
    const result = await run(['ping', base, '--passwd', PASSWD, '-c', '3', '-i', '10']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(
      [1, 2, 3].map((seq) => expect.stringMatching(new RegExp(`^reply from .*: seq=${seq} time=\\d+\\.\\d{3} ms$`))),
    );
    expect(lines[4]).toBe('3 sent, 3 received, 0% lost');
    expect(lines[5]).toMatch(/^rtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms$/);
  });

  it('exits 3 when the server is unreachable', async () => {
    const result = await run(['ping', `vsoa://127.0.0.1:${await closedPort()}`, '-c', '1']);
    expect(result.code).toBe(3);
    expectOneErrorLine(result, /unreachable/);
  });
});

describe('sub', () => {
  it('prints one line per publish until SIGINT, then exits 0', async () => {
    const sub = start(['sub', `${base}/light`, '/sensors/', '--passwd', PASSWD]);
    await sub.waitForLine('stderr', /subscribed to \/light \/sensors\//);
    server.publish('/light', { param: { on: true } });
    server.publish('/sensors/speed', { param: 42, data: Buffer.from('ab') });
    server.publish('/elsewhere', { param: 'not for us' });
    await sub.waitForLine('stdout', /^\/sensors\/speed/);
    const result = await sub.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('/light {"on":true}\n/sensors/speed 42 +2 bytes\n');
  });

  it('prints NDJSON with --json, and says on stderr when it disconnects and reconnects', async () => {
    let own = await startServer();
    const port = portOf(own);
    teardowns.push(() => own.close());
    const sub = start(['sub', `vsoa://127.0.0.1:${port}/`, '--passwd', PASSWD, '--json']);
    await sub.waitForLine('stderr', /subscribed to \/$/);
    own.publish('/a', { param: 1 });
    await sub.waitForLine('stdout', /"url":"\/a"/);

    await own.close();
    await sub.waitForLine('stderr', /disconnected.*reconnecting/);
    own = await startServer(port);
    // The robot reconnects after its delay (1 s), then subscribes again.
    const resubscribed = nextEvent<[RemoteClient]>(own, 'client').then(([client]) => nextEvent(client, 'subscribe'));
    await sub.waitForLine('stderr', /reconnected/, 5000);
    await resubscribed;
    own.publish('/b', { param: 2 }, { quick: true });
    await sub.waitForLine('stdout', /"url":"\/b"/);
    const result = await sub.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { url: '/a', param: 1, dataBytes: 0, quick: false },
      { url: '/b', param: 2, dataBytes: 0, quick: true },
    ]);
  }, 15_000);

  it('exits 3 when the first connection fails', async () => {
    const result = await run(['sub', `${base}/light`, '--passwd', 'wrong']);
    expect(result.code).toBe(3);
    expectOneErrorLine(result, /wrong password/);
  });
});

describe('stream', () => {
  it('saves the stream to a file, without a progress line when stderr is not a TTY', async () => {
    const file = join(work, 'saved.bin');
    const result = await run(['stream', `${base}/file`, '--passwd', PASSWD, '-o', file]);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(file).equals(FILE_BYTES)).toBe(true);
  });

  it('writes the stream to stdout with -o -', async () => {
    const child = start(['stream', `${base}/file`, '--passwd', PASSWD, '-o', '-']);
    expect(await child.exit()).toMatchObject({ code: 0, stderr: '' });
    expect(child.stdoutBytes().equals(FILE_BYTES)).toBe(true);
  });

  it('exits 1 when the reply announces no stream, leaving no file', async () => {
    const file = join(work, 'none.bin');
    const result = await run(['stream', `${base}/echo`, '--passwd', PASSWD, '-o', file]);
    expect(result.code).toBe(1);
    expectOneErrorLine(result, /the reply of \/echo announces no stream/);
    expect(existsSync(file)).toBe(false);
  });

  it('exits 2 before connecting when -o cannot be written', async () => {
    const connections = watchConnections();
    const result = await run(['stream', `${base}/file`, '--passwd', PASSWD, '-o', join(work, 'no', 'such', 'dir')]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /^vsoa stream: -o .*: no such file$/);
    expect(connections).not.toHaveBeenCalled();
  });
});

describe('position serve and lookup', () => {
  it('serves a table that lookup reads, and exits 0 on SIGINT', async () => {
    const table = join(work, 'positions.json');
    writeFileSync(table, JSON.stringify({ light: { addr: '127.0.0.1', port: 3005 }, vault: { addr: '::1', port: 4000, security: true } }));
    const serve = start(['position', 'serve', '--table', table, '--host', '127.0.0.1', '--port', '0']);
    const [, port] = await serve.waitForLine('stdout', /^position server on udp 127\.0\.0\.1:(\d+) answering light, vault$/);
    const posServer = `127.0.0.1:${port}`;

    const light = await run(['lookup', 'light', '--pos-server', posServer]);
    expect(light).toMatchObject({ code: 0, stdout: 'light -> 127.0.0.1:3005 (IPv4)\n', stderr: '' });
    const vault = await run(['lookup', 'VAULT', '--pos-server', posServer, '--json']);
    expect(JSON.parse(vault.stdout)).toEqual({ name: 'vault', addr: '::1', port: 4000, domain: 10, security: true });

    const unknown = await run(['lookup', 'nobody', '--pos-server', posServer]);
    expect(unknown.code).toBe(3);
    expectOneErrorLine(unknown, /^vsoa lookup: not found: .*does not know the name/);

    expect((await serve.stop('SIGINT')).code).toBe(0);
  });

  it('exits 2 with one line on a bad table', async () => {
    const table = join(work, 'bad.json');
    writeFileSync(table, JSON.stringify({ light: { addr: 'not-an-ip', port: 3005 } }));
    const result = await run(['position', 'serve', '--table', table, '--port', '0']);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /--table .*bad\.json: .*"light".*not an IP address/);
  });
});
