/**
 * `@opentelemetry/api` is an optional peer dependency: without it, the core loads and serves.
 * The core is compiled into a temporary folder, where nothing resolves `@opentelemetry/api`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileProject } from '../cli/cli-process';

it('the core loads and answers a call where @opentelemetry/api cannot be found', async () => {
  const out = mkdtempSync(join(tmpdir(), 'vsoa-no-otel-'));
  try {
    await compileProject('libs/vsoa-core/tsconfig.lib.json', out, 'core');
    writeFileSync(
      join(out, 'main.js'),
      `
      let found = true;
      try { require.resolve('@opentelemetry/api'); } catch { found = false; }
      const { VsoaServer, VsoaClient } = require('./core');
      (async () => {
        const server = new VsoaServer();
        server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
        await server.listen({ host: '127.0.0.1', port: 0 });
        const client = new VsoaClient();
        await client.connect('vsoa://127.0.0.1:' + server.address().port);
        const reply = await client.fetch('/echo', { payload: { param: 'hi' } });
        await client.close();
        await server.close();
        console.log(JSON.stringify({ found, status: reply.status, param: reply.payload.param }));
      })();
      `,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'main.js')], { cwd: out });
    expect(JSON.parse(stdout)).toEqual({ found: false, status: 0, param: 'hi' });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
