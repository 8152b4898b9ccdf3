/**
 * A synced resource and a regulated subscription: GET /light reads the state, SET /light
 * changes it and publishes it; a dashboard that only wants a few updates a second regulates.
 * Run: npm run build && node dist/examples/resource.js
 */
import { VsoaClient, VsoaServer, VsoaStatus } from '@vsoa/core';

export async function main(): Promise<{ state: unknown; refused: number; updates: number; last: unknown }> {
  const light = { on: false, brightness: 50 };
  const server = new VsoaServer({ info: { name: 'light' } });
  server.resource('/light', {
    get: () => light,
    set: (param) => {
      const change = param as Partial<typeof light>;
      if (typeof change !== 'object' || change === null) return VsoaStatus.ARGUMENTS; // refused
      Object.assign(light, change);
    },
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const url = `vsoa://127.0.0.1:${server.address()!.port}`;

  const dashboard = new VsoaClient();
  await dashboard.connect(url);
  dashboard.regulate('/light', 100); // at most one update per 100 ms: the latest
  let updates = 0;
  let last: unknown;
  const settled = new Promise<void>((resolve) =>
    dashboard.on('message', (_url, payload) => {
      updates++;
      last = payload.param;
      if ((payload.param as typeof light).brightness === 100) resolve();
    }),
  );
  await dashboard.subscribe('/light');

  const remote = new VsoaClient();
  await remote.connect(url);
  const refused = (await remote.fetch('/light', { method: 'SET', payload: { param: 'dim' } })).status;
  for (let brightness = 51; brightness <= 100; brightness++) {
    await remote.fetch('/light', { method: 'SET', payload: { param: { on: true, brightness } } });
  }
  await settled;
  const state = (await remote.fetch('/light')).payload.param;

  await remote.close();
  await dashboard.close();
  await server.close();
  return { state, refused, updates, last };
}

if (require.main === module) {
  main().then((result) => console.log(result));
}
