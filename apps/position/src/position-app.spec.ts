import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookup, parsePositionTable } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { PositionApp, startPositionApp } from './main';

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
