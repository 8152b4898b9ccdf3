import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookup, parsePositionTable } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { PositionApp, runPositionApp, startPositionApp } from './main';

const dir = mkdtempSync(join(tmpdir(), 'vsoa-position-app-'));

describe('parsePositionTable', () => {
  it('reads names to entries, lists of entries per name, and named lists', () => {
    const example = parsePositionTable(readFileSync(join(__dirname, '..', 'positions.example.json'), 'utf8'), 'example');
    expect(example.get('demo')).toEqual([{ name: 'demo', addr: '127.0.0.1', port: 3005, domain: 2, security: false }]);
    expect(example.get('lights')?.map((e) => e.domain)).toEqual([2, 10]);
    const list = parsePositionTable('[{"name":"Cam","addr":"10.0.0.9","port":7,"security":true}]', 'list');
    expect(list.get('cam')).toEqual([{ name: 'Cam', addr: '10.0.0.9', port: 7, domain: 2, security: true }]);
  });

  it('names the bad entry', () => {
    expect(() => parsePositionTable('{"a":{"addr":"nope","port":1}}', 't.json')).toThrow(/t\.json: entry "a": address "nope"/);
    expect(() => parsePositionTable('{"a":', 't.json')).toThrow(/t\.json: not JSON/);
    expect(() => parsePositionTable('42', 't.json')).toThrow(/expected an object/);
  });
});

describe('the position app', () => {
  let app: PositionApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  function options(port: number): LookupOptions {
    return { env: { VSOA_POS_SERVER: `127.0.0.1:${port}` }, posFile: join(dir, 'none.pos'), retryInterval: 200 };
  }

  it('answers from its file, and from the new file after a reload', async () => {
    const file = join(dir, 'positions.json');
    writeFileSync(file, JSON.stringify({ lights: { addr: '127.0.0.1', port: 3005 } }));
    app = await startPositionApp({ POSITION_FILE: file, POSITION_HOST: '127.0.0.1', POSITION_PORT: '0' });
    const port = app.server.address()!.port;
    await expect(lookup('lights', options(port))).resolves.toMatchObject({ addr: '127.0.0.1', port: 3005 });
    await expect(lookup('other', options(port))).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });

    writeFileSync(file, JSON.stringify({ lights: { addr: '127.0.0.1', port: 3006 } }));
    app.reload();
    await expect(lookup('lights', options(port))).resolves.toMatchObject({ port: 3006 });
  });

  it('takes an inline table from VSOA_POSITIONS and keeps its table when a reload fails', async () => {
    const env: NodeJS.ProcessEnv = {
      VSOA_POSITIONS: '{"svc":[{"addr":"127.0.0.1","port":1},{"addr":"::1","port":2}]}',
      POSITION_HOST: '127.0.0.1',
      POSITION_PORT: '0',
    };
    app = await startPositionApp(env);
    const port = app.server.address()!.port;
    await expect(lookup('svc', { ...options(port), domain: 10 })).resolves.toMatchObject({ addr: '::1', port: 2 });
    env.VSOA_POSITIONS = '{broken';
    expect(() => app!.reload()).toThrow(/not JSON/);
    await expect(lookup('svc', options(port))).resolves.toMatchObject({ port: 1 });
  });

  it('refuses to start on a table it cannot read', async () => {
    await expect(startPositionApp({ POSITION_FILE: join(dir, 'missing.json'), POSITION_PORT: '0' })).rejects.toThrow(/ENOENT/);
  });
});

describe('the position service as started from the command line', () => {
  interface Ran {
    signals: EventEmitter;
    out: string[];
    err: string[];
    exited: Promise<number>;
    app: PositionApp | undefined;
  }

  async function run(env: NodeJS.ProcessEnv): Promise<Ran> {
    const signals = new EventEmitter();
    const out: string[] = [];
    const err: string[] = [];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    const app = await runPositionApp({ env, signals, log: (l) => out.push(l), error: (l) => err.push(l), exit });
    return { signals, out, err, exited, app };
  }

  it('prints where it listens and its table, reloads it on SIGHUP and keeps it when the file turns bad', async () => {
    const file = join(dir, 'hup.json');
    writeFileSync(file, JSON.stringify({ lights: { addr: '127.0.0.1', port: 3005 } }));
    const ran = await run({ POSITION_FILE: file, POSITION_HOST: '127.0.0.1', POSITION_PORT: '0' });
    const port = ran.app!.server.address()!.port;
    expect(ran.out).toEqual([
      `VSOA position server on udp 127.0.0.1:${port}\n  lights -> 127.0.0.1:3005`,
      `Point clients at it: VSOA_POS_SERVER=127.0.0.1:${port}`,
    ]);

    writeFileSync(file, JSON.stringify({ lights: { addr: '127.0.0.1', port: 3006, security: true } }));
    ran.signals.emit('SIGHUP');
    expect(ran.out[2]).toBe('table reloaded:\n  lights -> 127.0.0.1:3006 (TLS)');
    await expect(
      lookup('lights', { env: { VSOA_POS_SERVER: `127.0.0.1:${port}` }, posFile: join(dir, 'none.pos') }),
    ).resolves.toMatchObject({
      port: 3006,
    });

    writeFileSync(file, '{not json');
    ran.signals.emit('SIGHUP');
    expect(ran.err).toEqual([expect.stringMatching(/^reload failed, keeping the old table: .*hup\.json: not JSON/)]);
    await expect(
      lookup('lights', { env: { VSOA_POS_SERVER: `127.0.0.1:${port}` }, posFile: join(dir, 'none.pos') }),
    ).resolves.toMatchObject({
      port: 3006,
    });

    ran.signals.emit('SIGTERM');
    await expect(ran.exited).resolves.toBe(0);
    expect(ran.app!.server.address()).toBeNull();
  });

  it('on a failed start says why and how to give it a table, and exits 1', async () => {
    const ran = await run({ POSITION_FILE: join(dir, 'missing.json'), POSITION_PORT: '0' });
    expect(ran.app).toBeUndefined();
    await expect(ran.exited).resolves.toBe(1);
    expect(ran.err[0]).toMatch(/^position server failed to start: ENOENT.*missing\.json/);
    expect(ran.err[1]).toMatch(/POSITION_FILE=apps\/position\/positions\.example\.json/);
  });

  it('names 127.0.0.1 for clients when it listens on every address', async () => {
    const ran = await run({ VSOA_POSITIONS: '{"a":{"addr":"127.0.0.1","port":1}}', POSITION_PORT: '0' });
    const port = ran.app!.server.address()!.port;
    expect(ran.out[1]).toBe(`Point clients at it: VSOA_POS_SERVER=127.0.0.1:${port}`);
    expect(ran.out[0]).toMatch(/^VSOA position server on udp 0\.0\.0\.0:/);
    ran.signals.emit('SIGINT');
    await expect(ran.exited).resolves.toBe(0);
  });
});
