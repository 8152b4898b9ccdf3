/** Runs the scenarios with the official `vsoa` package's client. */
import * as vsoa from 'vsoa';
import { fail, maxRss, report, tell } from '../child';
import { callsPerSecond, rssGrowth, secondsSince, streamRate, until, whenQuiet } from '../rpc-runner';
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
        const start = process.hrtime.bigint();
        await call(client, '/bench/publish', { param: { n: scenario.messages, quick: scenario.quick } });
        const total = (): number => counts.reduce((a, b) => a + b, 0);
        if (scenario.quick) await whenQuiet(total, 200);
        else await until(() => total() === scenario.messages * scenario.subscribers, 120_000, 'publishes');
        const seconds = secondsSince(start) - (scenario.quick ? 0.2 : 0);
        const loss = 1 - total() / (scenario.messages * scenario.subscribers);
        report({
          id: scenario.id,
          value: total() / seconds,
          unit: 'msgs/s',
          extra: scenario.quick ? `loss ${(loss * 100).toFixed(1)}%` : undefined,
        });
        for (const sub of subscribers) sub.close();
        break;
      }
      case 'datagram': {
        const payload = { param: { a: 1 } };
        const start = process.hrtime.bigint();
        for (let i = 0; i < scenario.messages; i++) {
          client.datagram('/bench/dg', payload);
          if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
        }
        const reply = await call(client, '/bench/count');
        const count = (reply.payload?.param as { count: number }).count;
        if (count !== scenario.messages) throw new Error(`server counted ${count} of ${scenario.messages} datagrams`);
        report({ id: scenario.id, value: count / secondsSince(start), unit: 'msgs/s' });
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
