/** Runs the scenarios with our VsoaClient. */
import { VsoaClient } from '@vsoa/core';
import { fail, report, tell, maxRss } from '../child';
import { callsPerSecond, datagramRate, publishRate, rssGrowth, streamRate } from '../rpc-runner';
import { dataOf, Scenario, Timing } from '../scenarios';

async function connect(url: string): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 120_000 });
  await client.connect(url);
  return client;
}

async function run(url: string, scenario: Scenario, timing: Timing): Promise<void> {
  const client = await connect(url);
  try {
    switch (scenario.kind) {
      case 'rpc': {
        const payload = { param: { a: 1 }, data: dataOf(scenario.dataBytes) };
        const call = (): Promise<unknown> =>
          client.fetch('/echo', { payload }).then((reply) => {
            if (reply.status !== 0) throw new Error(`status ${reply.status}`);
          });
        report({ id: scenario.id, value: await callsPerSecond(call, scenario.inFlight, timing), unit: 'calls/s' });
        break;
      }
      case 'publish': {
        const subscribers = await Promise.all(Array.from({ length: scenario.subscribers }, () => connect(url)));
        const counts = subscribers.map(() => 0);
        await Promise.all(
          subscribers.map(async (sub, i) => {
            sub.on('message', () => counts[i]++);
            await sub.subscribe('/bench/pub');
          }),
        );
        report(
          await publishRate(scenario, counts, () =>
            client.fetch('/bench/publish', { payload: { param: { n: scenario.messages, quick: scenario.quick } } }),
          ),
        );
        await Promise.all(subscribers.map((sub) => sub.close()));
        break;
      }
      case 'datagram': {
        const payload = { param: { a: 1 } };
        report(
          await datagramRate(
            scenario,
            () => client.datagram('/bench/dg', payload),
            async () => ((await client.fetch('/bench/count')).payload.param as { count: number }).count,
          ),
        );
        break;
      }
      case 'stream': {
        const start = process.hrtime.bigint();
        const reply = await client.fetch('/bench/stream', { payload: { param: { bytes: scenario.bytes } } });
        report({ id: scenario.id, value: await streamRate(client.createStream(reply.tunid), scenario.bytes, start), unit: 'MiB/s' });
        break;
      }
      case 'rss': {
        const payload = { param: { a: 1 } };
        const { value, extra } = await rssGrowth(
          scenario.calls,
          () => client.fetch('/echo', { payload }),
          async () => ((await client.fetch('/bench/stats')).payload.param as { rss: number }).rss,
        );
        report({ id: scenario.id, value, unit: 'rss ratio', extra });
        break;
      }
    }
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const { url, scenarios, timing } = JSON.parse(process.env.BENCH_JOB ?? '{}') as { url: string; scenarios: Scenario[]; timing: Timing };
  for (const scenario of scenarios) await run(url, scenario, timing);
  tell({ type: 'done', maxRss: maxRss() });
}

main().catch(fail);
