/**
 * RpcTelemetry with each part of the OpenTelemetry SDK registered or not: nothing records (and
 * `start()` gives null) without an SDK; a tracer alone makes spans, a meter alone durations.
 * Each test registers what it needs on the global API and takes it down afterwards.
 */
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import type * as Api from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Sampler } from '@opentelemetry/sdk-trace-node';
import { VsoaError } from '../errors';
import { RpcTelemetry, statusCode } from './rpc-telemetry';

afterEach(() => {
  trace.disable();
  metrics.disable();
});

function registerTracer(options: { sampler?: Sampler; api?: typeof Api } = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ sampler: options.sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  (options.api ?? { trace }).trace.setGlobalTracerProvider(provider);
  return exporter;
}

/** Registers a meter provider; `collect()` reads what it recorded. */
function registerMeter(): { collect: () => Promise<MetricData[]> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    collect: async () => {
      exporter.reset();
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    },
  };
}

function histogram(collected: MetricData[], name: string): { metric: MetricData; points: Array<DataPoint<Histogram>> } {
  const metric = collected.find((m) => m.descriptor.name === name);
  if (!metric) throw new Error(`no metric ${name} among ${collected.map((m) => m.descriptor.name).join(', ')}`);
  return { metric, points: metric.dataPoints as Array<DataPoint<Histogram>> };
}

describe('statusCode', () => {
  it('names the protocol statuses and gives application statuses (128–255) as numbers', () => {
    expect(statusCode(0)).toBe('SUCCESS');
    expect(statusCode(3)).toBe('INVALID_URL');
    expect(statusCode(7)).toBe('PROXY');
    expect(statusCode(128)).toBe('128');
    expect(statusCode(255)).toBe('255');
  });
});

describe('RpcTelemetry', () => {
  it('records nothing, and start() gives null, when no SDK is registered', () => {
    for (const side of ['server', 'client'] as const) {
      const telemetry = new RpcTelemetry(side);
      expect(telemetry.enabled).toBe(false);
      expect(telemetry.start('/echo')).toBeNull();
    }
  });

  it('with a tracer and no meter: a span per call, ended once', () => {
    const spans = registerTracer();
    const telemetry = new RpcTelemetry('server');
    expect(telemetry.enabled).toBe(true);
    const call = telemetry.start('/echo', { 'network.peer.address': '127.0.0.1' }, { 'network.peer.port': 4000 });
    expect(call).not.toBeNull();
    call!.end(0);
    call!.end(3);
    call!.fail(new Error('late'));
    const [span, ...more] = spans.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span.name).toBe('/echo');
    expect(span.instrumentationScope.name).toBe('@vsoa/core');
    expect(span.attributes).toEqual({
      'rpc.system.name': 'vsoa',
      'rpc.method': '/echo',
      'rpc.response.status_code': 'SUCCESS',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 4000,
    });
    // A success is no error: no error.type key at all, the status left unset.
    expect(Object.keys(span.attributes)).not.toContain('error.type');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('gives null when the sampler drops the span and no meter records', () => {
    const spans = registerTracer({ sampler: new AlwaysOffSampler() });
    const telemetry = new RpcTelemetry('client');
    expect(telemetry.start('/echo')).toBeNull();
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it('with a meter and no tracer: the call durations, in seconds, with the RPC buckets', async () => {
    const meter = registerMeter();
    const server = new RpcTelemetry('server');
    const client = new RpcTelemetry('client');
    expect(server.enabled).toBe(true);
    expect(client.enabled).toBe(true);
    const call = server.start('/echo');
    expect(call).not.toBeNull();
    call!.end(0);
    // Measured once: later ends change nothing.
    call!.fail(new Error('late'));
    call!.end(3);
    client.start('/teapot')!.end(130);
    const collected = await meter.collect();

    const served = histogram(collected, 'rpc.server.call.duration');
    expect(served.metric.descriptor).toMatchObject({ unit: 's', description: 'Duration of RPC calls served, until the reply' });
    expect(served.points).toHaveLength(1);
    expect(served.points[0].value.count).toBe(1);
    expect(served.points[0].attributes).toEqual({
      'rpc.system.name': 'vsoa',
      'rpc.method': '/echo',
      'rpc.response.status_code': 'SUCCESS',
    });
    expect(Object.keys(served.points[0].attributes)).not.toContain('error.type');
    // From 5 ms to 10 s, the RPC conventions' buckets, not the SDK's defaults (0 to 10000).
    const boundaries = served.points[0].value.buckets.boundaries;
    expect(boundaries[0]).toBe(0.005);
    expect(boundaries[boundaries.length - 1]).toBe(10);

    const made = histogram(collected, 'rpc.client.call.duration');
    expect(made.metric.descriptor).toMatchObject({ unit: 's', description: 'Duration of RPC calls made, until the reply' });
    expect(made.points.map((p) => p.attributes)).toEqual([
      { 'rpc.system.name': 'vsoa', 'rpc.method': '/teapot', 'rpc.response.status_code': '130', 'error.type': '130' },
    ]);
    expect(made.points[0].value.buckets.boundaries).toEqual(boundaries);
  });

  it('ends a span in error for a status, an error with a code, an Error, or anything else thrown', () => {
    const spans = registerTracer();
    const telemetry = new RpcTelemetry('client');
    telemetry.start('/status')!.end(130);
    telemetry.start('/timeout')!.fail(new VsoaError('TIMEOUT', 'RPC /timeout timed out'));
    telemetry.start('/range')!.fail(new RangeError('out of range'));
    telemetry.start('/string')!.fail('a string');
    telemetry.start('/undefined')!.fail(undefined);
    const seen = spans.getFinishedSpans().map((s) => [s.name, s.attributes['error.type'], s.status.code, s.status.message]);
    expect(seen).toEqual([
      ['/status', '130', SpanStatusCode.ERROR, '130'],
      ['/timeout', 'TIMEOUT', SpanStatusCode.ERROR, 'RPC /timeout timed out'],
      ['/range', 'RangeError', SpanStatusCode.ERROR, 'out of range'],
      ['/string', 'Error', SpanStatusCode.ERROR, 'Error'],
      ['/undefined', 'Error', SpanStatusCode.ERROR, 'Error'],
    ]);
  });

  it('still makes spans when the app registered its SDK through another copy of the API', () => {
    // Two installs of @opentelemetry/api share the global registry, not the class of its proxy.
    let other!: typeof Api;
    jest.isolateModules(() => {
      other = jest.requireActual<typeof Api>('@opentelemetry/api');
    });
    expect(other.ProxyTracerProvider).not.toBe(trace.getTracerProvider().constructor);
    const spans = registerTracer({ api: other });
    const telemetry = new RpcTelemetry('server');
    telemetry.start('/echo')!.end(0);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['/echo']);
  });
});
