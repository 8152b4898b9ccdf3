/** Runs the scenarios with the official `vsoa` package's client. */
import * as vsoa from 'vsoa';
import { fail, maxRss, report, tell } from '../child';
import { callsPerSecond, datagramRate, publishRate, rssGrowth, streamRate } from '../rpc-runner';
import { dataOf, Scenario, Timing } from '../scenarios';

function connect(url: string): Promise<vsoa.Client> {
  const client = new vsoa.Client({});
  client.on('error', () => undefined);
  return new Promise((resolve, reject) =>
    client.connect(url, (error?: Error) => (error ? reject(error) : resolve(client)), undefined, 10_000),
  );
}

function call(client: vsoa.Client, url: string, payload?: vsoa.VsoaPayload): Promise<{ payload?: vsoa.VsoaPayload; tunid?: number }> {
  return new Promise((resolve, reject) =>
    client.call(
      url,
      { method: 'GET' },
      payload,
      (error, reply, tunid) => (error ? reject(error) : resolve({ payload: reply, tunid })),
      120_000,
    ),
  );
}

async function run(url: string, scenario: Scenario, timing: Timing): Promise<void> {
  const client = await connect(url);
  try {
    switch (scenario.kind) {
      case 'rpc': {
        const data = dataOf(scenario.dataBytes);
        const payload: vsoa.VsoaPayload = data ? { param: { a: 1 }, data } : { param: { a: 1 } };
        report({
          id: scenario.id,
          value: await callsPerSecond(() => call(client, '/echo', payload), scenario.inFlight, timing),
          unit: 'calls/s',
        });
        break;
      }
      case 'publish': {
        const subscribers = await Promise.all(Array.from({ length: scenario.subscribers }, () => connect(url)));
        const counts = subscribers.map(() => 0);
        await Promise.all(
          subscribers.map(
            (sub, i) =>
              new Promise<void>((resolve, reject) => {
                sub.on('message', () => counts[i]++);
                sub.subscribe('/bench/pub', (error?: Error) => (error ? reject(error) : resolve()), 10_000);
              }),
          ),
        );
        report(
          await publishRate(scenario, counts, () =>
            call(client, '/bench/publish', { param: { n: scenario.messages, quick: scenario.quick } }),
          ),
        );
        for (const sub of subscribers) sub.close();
        break;
      }
      case 'datagram': {
        const payload = { param: { a: 1 } };
        report(
          await datagramRate(
            scenario,
            () => client.datagram('/bench/dg', payload),
            async () => ((await call(client, '/bench/count')).payload?.param as { count: number }).count,
          ),
        );
        break;
      }
      case 'stream': {
        const start = process.hrtime.bigint();
        const reply = await call(client, '/bench/stream', { param: { bytes: scenario.bytes } });
        report({
          id: scenario.id,
          value: await streamRate(client.createStream(reply.tunid ?? 0, 10_000), scenario.bytes, start),
          unit: 'MiB/s',
        });
        break;
      }
      case 'rss': {
        const payload = { param: { a: 1 } };
        const { value, extra } = await rssGrowth(
          scenario.calls,
          () => call(client, '/echo', payload),
          async () => ((await call(client, '/bench/stats')).payload?.param as { rss: number }).rss,
        );
        report({ id: scenario.id, value, unit: 'rss ratio', extra });
        break;
      }
    }
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const { url, scenarios, timing } = JSON.parse(process.env.BENCH_JOB ?? '{}') as { url: string; scenarios: Scenario[]; timing: Timing };
  for (const scenario of scenarios) await run(url, scenario, timing);
  tell({ type: 'done', maxRss: maxRss() });
}

main().catch(fail);
