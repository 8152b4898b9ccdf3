/**
 * The seed's (ACOINFO's Python package's) examples, ported as docs/porting-from-python.md shows
 * them (examples/seed/*.ts), run against our server and against the official `vsoa` package's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket as UdpSocket } from 'node:dgram';
import * as vsoa from 'vsoa';
import { setPositionServer } from '@vsoa/core';
import { echoServer } from '../../examples/seed/echo-server';
import { robotClient } from '../../examples/seed/robot-client';
import { oneShot } from '../../examples/seed/one-shot-fetch';
import { streamClient, streamServer } from '../../examples/seed/stream';
import { positionServer, whereIs } from '../../examples/seed/position';
import { helloJobs, helloServer } from '../../examples/seed/work-queue';
import { MyClass, plainEmitter, timerOnce } from '../../examples/seed/timer-events';
import { publishAll, subscriber } from '../../examples/seed/publish-subscribe';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();
afterEach(() => setPositionServer(null));

/** Collects what an example prints, one array of arguments per line. */
function printer(): { lines: unknown[][]; print: (...args: unknown[]) => void } {
  const lines: unknown[][] = [];
  return { lines, print: (...args: unknown[]) => void lines.push(args) };
}

/** The official package's echo server (its /echo answers with the request's payload). */
async function officialEcho(passwd?: string): Promise<string> {
  const server = new vsoa.Server(passwd ? { info: { name: 'official' }, passwd } : { info: { name: 'official' } });
  server.on('/echo', (cli: vsoa.RemoteClient, request: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => cli.reply(0, request.seqno, payload));
  server.on('/get_data', (cli: vsoa.RemoteClient, request: vsoa.VsoaRpc) => {
    const stream = server.createStream(5000);
    cli.reply(0, request.seqno, stream.tunid);
    stream.on('connect', () => stream.end(readFileSync(__filename)));
  });
  const port = await startOfficial(server);
  teardowns.push(() => closeOfficial(server));
  return `vsoa://${HOST}:${port}`;
}

async function ourEcho(): Promise<string> {
  const server = await echoServer(HOST, 0);
  teardowns.push(() => server.close());
  return `vsoa://${HOST}:${server.address()!.port}`;
}

/** The robot client's lines once linked: each a successful echo of {a: 3}. */
async function runRobotClient(url: string, passwd = ''): Promise<unknown[][]> {
  const { lines, print } = printer();
  await robotClient(url, passwd, 4, 100, print);
  const linked = lines.findIndex(([first]) => first === 'Connected, server info:');
  expect(linked).toBeGreaterThanOrEqual(0);
  // close() at the end drops the link, as the seed's onconnect(client, False) tells.
  expect(lines[lines.length - 1]).toEqual(['disconnected']);
  return lines.slice(linked + 1, -1);
}

describe('the echo server and the robot client', () => {
  it('ours with ours: the robot links, and every fetch once linked echoes {a: 3}', async () => {
    const after = await runRobotClient(await ourEcho());
    expect(after.length).toBeGreaterThan(0);
    for (const [header, payload] of after) {
      expect(header).toMatchObject({ status: 0, tunid: 0 });
      expect(payload).toEqual({ param: { a: 3 } });
    }
  });

  it("the robot client against the official server, with the repository example's password", async () => {
    const after = await runRobotClient(await officialEcho('123456'), '123456');
    expect(after.length).toBeGreaterThan(0);
    for (const [header, payload] of after) {
      expect(header).toMatchObject({ status: 0 });
      expect(payload).toEqual({ param: { a: 3 } });
    }
  });

  it('the one-shot fetch, against ours and against the official server', async () => {
    for (const url of [await ourEcho(), await officialEcho()]) {
      const { lines, print } = printer();
      await oneShot(`${url}/echo`, print);
      expect(lines).toEqual([[expect.objectContaining({ status: 0 }), { param: { a: 3 } }]]);
    }
  });
});

describe('the stream example', () => {
  it('copies a file through the tunnel from our server and from the official one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-stream-'));
    teardowns.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await streamServer(__filename, HOST, 0);
    teardowns.push(() => server.close());
    await streamClient(`vsoa://${HOST}:${server.address()!.port}`, join(dir, 'ours'));
    await streamClient(await officialEcho(), join(dir, 'official'));
    const original = readFileSync(__filename);
    expect(readFileSync(join(dir, 'ours'))).toEqual(original);
    expect(readFileSync(join(dir, 'official'))).toEqual(original);
  });
});

describe('the position example', () => {
  it('answers myserver from onquery, to our lookup and to the official one; an unknown name is not found', async () => {
    const pserv = await positionServer(HOST, 0);
    teardowns.push(() => pserv.close());
    const port = pserv.address()!.port;
    const { lines, print } = printer();
    await whereIs('myserver', port, print);
    await whereIs('yourserver', port, print);
    expect(lines).toEqual([['127.0.0.1', 3005], ['not found']]);

    vsoa.Position.server({ domain: vsoa.AF_INET, addr: HOST, port });
    teardowns.push(() => vsoa.Position.server(undefined as unknown as vsoa.SocketAddr));
    const answer = await new Promise<unknown>((resolve) =>
      vsoa.lookup('myserver', (error, found) => resolve(error ?? found), vsoa.AF_INET),
    );
    expect(answer).toMatchObject({ addr: '127.0.0.1', port: 3005 });
  });

  it('looks a name up in the official position server', async () => {
    const official = new vsoa.Position([], { domain: vsoa.AF_INET, addr: HOST, port: 0 });
    official.onquery = (name, _domain, reply) =>
      reply((name === 'myserver' ? { name, domain: vsoa.AF_INET, addr: '127.0.0.1', port: 3005 } : null) as vsoa.PostionEntry);
    await new Promise<void>((resolve) => official.start(() => resolve()));
    teardowns.push(() => new Promise<void>((resolve) => official.close(() => resolve())));
    const port = (official as unknown as { _udp: UdpSocket })._udp.address().port;
    const { lines, print } = printer();
    await whereIs('myserver', port, print);
    expect(lines).toEqual([['127.0.0.1', 3005]]);
  });
});

describe('the work queue examples', () => {
  it('runs the jobs in order, and serves /hello on the queue to the official client', async () => {
    const { lines, print } = printer();
    await helloJobs(print);
    expect(lines).toEqual([
      ['Hello count:', 1],
      ['Hello count:', 2],
      ['Hello count:', 3],
    ]);

    const app = await helloServer(HOST, 0);
    teardowns.push(() => app.close());
    const client = new vsoa.Client();
    teardowns.push(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.connect(`vsoa://${HOST}:${app.address()!.port}`, (error) => (error ? reject(error) : resolve())),
    );
    const reply = await new Promise<unknown>((resolve, reject) =>
      client.call('/hello', { method: vsoa.method.GET }, { param: { hi: 1 } }, (error, payload) =>
        error ? reject(error) : resolve(payload),
      ),
    );
    expect(reply).toMatchObject({ param: { hi: 1 } });
  });
});

describe('the publish and subscribe snippets', () => {
  it('deliver what our server publishes, and what the official server publishes', async () => {
    const ours = await echoServer(HOST, 0);
    teardowns.push(() => ours.close());
    const { lines, print } = printer();
    const client = await subscriber(`vsoa://${HOST}:${ours.address()!.port}`, print);
    teardowns.push(() => client.close());
    const three = new Promise<void>((resolve) => client.on('message', () => lines.length === 3 && resolve()));
    publishAll(ours);
    await three;
    expect(lines.map(([, topic, , payload, , quick]) => [topic, payload, quick]).sort()).toEqual([
      ['/topic1', { param: { hello: 'hello' }, data: Buffer.from([1, 2, 3]) }, false],
      ['/topic2', {}, false],
      ['/topic3', { param: { hello: 'hello' } }, true],
    ]);

    const official = new vsoa.Server({ info: { name: 'official' } });
    const subscribed = new Promise<void>(
      (resolve) => (official.onclient = (cli: vsoa.RemoteClient) => cli.on('subscribe', () => resolve())),
    );
    const url = `vsoa://${HOST}:${await startOfficial(official)}`;
    teardowns.push(() => closeOfficial(official));
    const { lines: got, print: printOfficial } = printer();
    const other = await subscriber(url, printOfficial);
    teardowns.push(() => other.close());
    await subscribed;
    const one = new Promise<void>((resolve) => other.once('message', () => resolve()));
    official.publish('/topic1', { param: { hello: 'hello' }, data: Buffer.from([1, 2, 3]) });
    await one;
    expect(got).toEqual([
      ['Msg received, url:', '/topic1', 'payload:', { param: { hello: 'hello' }, data: Buffer.from([1, 2, 3]) }, 'Q:', false],
    ]);
  });
});

describe('Timer and EventEmitter: Node built-ins', () => {
  it('fires the one-shot timer with its arguments, and emits to listeners, subclass included', async () => {
    const { lines, print } = printer();
    const fired = new Promise<void>((resolve) => {
      const timer = timerOnce(10, (...args) => {
        print(...args);
        resolve();
      });
      teardowns.push(() => clearTimeout(timer));
    });
    await fired;
    expect(plainEmitter(print)).toBe(true);
    new MyClass(print).emit('test', 1, 2);
    expect(lines).toEqual([['timer!', 1, 2, 3], ['event catched!'], [1, 2]]);
  });
});

describe('docs/porting-from-python.md', () => {
  it('shows each ported example as it is in examples/seed', () => {
    const root = join(__dirname, '..', '..');
    const guide = readFileSync(join(root, 'docs', 'porting-from-python.md'), 'utf8');
    const shown = [...guide.matchAll(/```ts\n(\/\/ (examples\/seed\/[\w-]+\.ts)[^\n]*\n[\s\S]*?)```/g)].map(([, code, file]) => ({
      file,
      code,
    }));
    expect(shown.map(({ file }) => file).sort()).toEqual(
      readdirSync(join(root, 'examples', 'seed'))
        .map((name) => `examples/seed/${name}`)
        .sort(),
    );
    for (const { file, code } of shown) expect(code).toBe(readFileSync(join(root, file), 'utf8'));
  });
});
