/** Runs the echo scenarios through a Nest ClientProxy: ClientVsoa, or Nest's own TCP client. */
import 'reflect-metadata';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ClientVsoa } from '@vsoa/nestjs';
import { fail, maxRss, report, tell } from '../child';
import { callsPerSecond } from '../rpc-runner';
import type { Scenario, Timing } from '../scenarios';

async function main(): Promise<void> {
  const { port, scenarios, timing, transport } = JSON.parse(process.env.BENCH_JOB ?? '{}') as {
    port: number;
    scenarios: Scenario[];
    timing: Timing;
    transport: 'vsoa' | 'tcp';
  };
  // The two proxies differ in their status type; the bench only needs these three methods.
  const client: Pick<ClientProxy, 'send' | 'close'> & { connect(): Promise<unknown> } =
    transport === 'vsoa'
      ? new ClientVsoa({ url: `vsoa://127.0.0.1:${port}`, reconnect: false })
      : ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  const param = { a: 1 };
  for (const scenario of scenarios) {
    if (scenario.kind !== 'rpc') continue;
    const call = (): Promise<unknown> => firstValueFrom(client.send('/echo', param));
    report({ id: scenario.id, value: await callsPerSecond(call, scenario.inFlight, timing), unit: 'calls/s' });
  }
  await client.close();
  tell({ type: 'done', maxRss: maxRss() });
}

main().catch(fail);
