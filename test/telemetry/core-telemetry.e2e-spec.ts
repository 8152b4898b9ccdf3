import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { VsoaClient, VsoaServer } from '@vsoa/core';
import { counterValue, histogramPoints, registerTestSdk } from './setup';
import { teardownsAfterEach } from '../helpers/teardowns';

const sdk = registerTestSdk();
const teardowns = teardownsAfterEach();
const tracer = trace.getTracer('test-app');

async function serve(): Promise<{ server: VsoaServer; client: VsoaClient; port: number }> {
  const server = new VsoaServer({ info: { name: 'otel' } });
  server.command('/echo', (cli, req, payload) => {
    // A span the app makes while serving: a child of the call's SERVER span.
    tracer.startActiveSpan('app work', (span) => {
      cli.reply(req.seqno, payload);
      span.end();
    });
  });
  server.command('/teapot', async (cli, req) => {
    await new Promise((resolve) => setImmediate(resolve));
    tracer.startSpan('after await').end(); // still under the SERVER span, after an await
    cli.reply(req.seqno, { param: 'short and stout' }, { status: 130 });
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  teardowns.push(() => server.close());
  const port = server.address()!.port;
  const client = new VsoaClient({ timeout: 2000 });
  teardowns.push(() => client.close());
  await client.connect(`vsoa://127.0.0.1:${port}`);
  return { server, client, port };
}

describe('OpenTelemetry in the core', () => {
  beforeEach(() => sdk.reset());

  it('makes a SERVER and a CLIENT span per call, named by the URL, parented as described', async () => {
    const { client, port } = await serve();
    await tracer.startActiveSpan('caller', async (caller) => {
      await client.fetch('/echo', { payload: { param: { a: 1 } } });
      await client.fetch('/teapot');
      await client.fetch('/nowhere');
      caller.end();
    });
    const spans = sdk.spans();
    const byName = (name: string, kind: SpanKind) => spans.filter((s) => s.name === name && s.kind === kind);
    const callerSpan = spans.find((s) => s.name === 'caller')!;
    for (const url of ['/echo', '/teapot', '/nowhere']) {
      const [clientSpan] = byName(url, SpanKind.CLIENT);
      const [serverSpan] = byName(url, SpanKind.SERVER);
      expect(clientSpan).toBeDefined();
      expect(serverSpan).toBeDefined();
      // The client span is a child of the span active where the call was made.
      expect(clientSpan.parentSpanContext?.spanId).toBe(callerSpan.spanContext().spanId);
      // No trace context travels on the wire: the server span starts a trace of its own.
      expect(serverSpan.parentSpanContext).toBeUndefined();
      expect(clientSpan.attributes).toMatchObject({
        'rpc.system.name': 'vsoa',
        'rpc.method': url,
        'server.address': '127.0.0.1',
        'server.port': port,
      });
      expect(serverSpan.attributes).toMatchObject({ 'rpc.system.name': 'vsoa', 'rpc.method': url, 'network.peer.address': '127.0.0.1' });
    }
    const status = (url: string, kind: SpanKind) => byName(url, kind)[0];
    expect(status('/echo', SpanKind.SERVER).attributes['rpc.response.status_code']).toBe('SUCCESS');
    expect(status('/echo', SpanKind.SERVER).status.code).toBe(SpanStatusCode.UNSET);
    for (const kind of [SpanKind.SERVER, SpanKind.CLIENT]) {
      expect(status('/teapot', kind).attributes).toMatchObject({ 'rpc.response.status_code': '130', 'error.type': '130' });
      expect(status('/teapot', kind).status.code).toBe(SpanStatusCode.ERROR);
      expect(status('/nowhere', kind).attributes).toMatchObject({ 'rpc.response.status_code': 'INVALID_URL', 'error.type': 'INVALID_URL' });
    }
    // Spans the handlers made are children of the SERVER spans, before and after an await.
    const echoServer = status('/echo', SpanKind.SERVER);
    expect(spans.find((s) => s.name === 'app work')!.parentSpanContext?.spanId).toBe(echoServer.spanContext().spanId);
    expect(spans.find((s) => s.name === 'after await')!.parentSpanContext?.spanId).toBe(
      status('/teapot', SpanKind.SERVER).spanContext().spanId,
    );
  });

  it('ends a client span in error on a timeout and on a closed link', async () => {
    const { server, client } = await serve();
    server.command('/never', () => undefined);
    await expect(client.fetch('/never', { timeout: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const pending = client.fetch('/never');
    await server.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    const failed = sdk.spans().filter((s) => s.name === '/never' && s.kind === SpanKind.CLIENT);
    expect(failed.map((s) => [s.attributes['error.type'], s.status.code])).toEqual([
      ['TIMEOUT', SpanStatusCode.ERROR],
      ['CLOSED', SpanStatusCode.ERROR],
    ]);
  });

  it('records the call durations by method and status, and the server counters as vsoa.server.*', async () => {
    const { client } = await serve();
    const counts = (collected: Awaited<ReturnType<typeof sdk.collect>>, name: string): Record<string, number> => {
      const result: Record<string, number> = {};
      for (const p of histogramPoints(collected, name)) {
        const key = `${p.attributes['rpc.method']} ${p.attributes['rpc.response.status_code']}`;
        result[key] = (result[key] ?? 0) + p.value.count;
        expect(p.value.sum ?? 0).toBeLessThan(2); // seconds, not ms
      }
      return result;
    };
    // The histograms are cumulative over the file: what this test adds is the difference.
    const before = await sdk.collect();
    await client.fetch('/echo');
    await client.fetch('/teapot');
    await client.fetch('/nowhere');
    await client.subscribe('/news');
    const collected = await sdk.collect();
    for (const name of ['rpc.server.call.duration', 'rpc.client.call.duration']) {
      const was = counts(before, name);
      const added = Object.entries(counts(collected, name))
        .map(([key, n]) => [key, n - (was[key] ?? 0)] as const)
        .filter(([, n]) => n > 0);
      expect(Object.fromEntries(added)).toEqual({ '/echo SUCCESS': 1, '/teapot 130': 1, '/nowhere INVALID_URL': 1 });
    }
    expect(counterValue(collected, 'vsoa.server.clients')).toBe(1);
    expect(counterValue(collected, 'vsoa.server.subscriptions')).toBe(1);
    expect(counterValue(collected, 'vsoa.server.connections')).toBe(1);
  });
});
