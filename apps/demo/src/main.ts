import { VsoaServer } from '@vsoa/core';

/** A small vehicle "light" service over VSOA: GET/SET /light, publishes /light on change. */
async function main(): Promise<void> {
  const port = Number(process.env.VSOA_PORT ?? 3005);
  const host = process.env.VSOA_HOST ?? '127.0.0.1';
  const server = new VsoaServer({ info: { name: 'demo' } });
  let light = { on: false };

  server.command('/light', (cli, req, payload) => {
    if (req.method === 'SET') {
      const next = payload.param as { on?: unknown } | undefined;
      if (typeof next?.on !== 'boolean') return cli.reply(req.seqno, { param: { error: 'expected {"on": boolean}' } }, { status: 2 });
      light = { on: next.on };
      server.publish('/light', { param: light });
    }
    cli.reply(req.seqno, { param: light });
  });
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.on('datagram', (_cli, url, payload, quick) =>
    console.log(`datagram ${url} ${JSON.stringify(payload.param)}${quick ? ' (quick)' : ''}`),
  );

  await server.listen({ host, port });
  console.log(`VSOA demo listening on vsoa://${host}:${server.address()?.port}`);
  console.log(`  GET  /light   SET /light {"on":true}   /echo`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
