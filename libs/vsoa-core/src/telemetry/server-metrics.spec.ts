/**
 * ServerMetrics: a server's counters as `vsoa.server.*` instruments (docs/observability.md),
 * read from a stand-in source when the SDK collects.
 */
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { VsoaServerCounters } from '../server/types';
import { ServerMetrics, ServerMetricsSource } from './server-metrics';

afterEach(() => metrics.disable());

/** The counters as docs/observability.md lists them, in snake case. */
const DOCUMENTED_COUNTERS = [
  'connections',
  'protocol_errors',
  'closed_for_protocol',
  'password_refused',
  'handshake_timeouts',
  'slow_clients_dropped',
  'bad_params',
  'spoofed_datagrams',
  'bad_datagrams',
  'streams_refused',
  'tls_handshake_failures',
  'subscriptions_refused',
  'calls_throttled',
  'stream_limit_hits',
  'jobs_dropped',
  'publishes',
  'publish_deliveries',
  'datagrams_received',
  'datagrams_sent',
];

/** Every counter at a value of its own (its place in the documented list, from 1). */
const COUNTERS: VsoaServerCounters = {
  connections: 1,
  protocolErrors: 2,
  closedForProtocol: 3,
  passwordRefused: 4,
  handshakeTimeouts: 5,
  slowClientsDropped: 6,
  badParams: 7,
  spoofedDatagrams: 8,
  badDatagrams: 9,
  streamsRefused: 10,
  tlsHandshakeFailures: 11,
  subscriptionsRefused: 12,
  callsThrottled: 13,
  streamLimitHits: 14,
  jobsDropped: 15,
  publishes: 16,
  publishDeliveries: 17,
  datagramsReceived: 18,
  datagramsSent: 19,
};

const SOURCE: ServerMetricsSource = { counters: COUNTERS, clients: () => 3, subscriptions: () => 5, port: () => 3005 };

function registerMeter(): () => Promise<ScopeMetrics[]> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return async () => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics);
  };
}

const points = (metric: MetricData): Array<DataPoint<number>> => metric.dataPoints as Array<DataPoint<number>>;

describe('ServerMetrics', () => {
  it('observes nothing (null) when no SDK is registered', () => {
    expect(ServerMetrics.observe(SOURCE)).toBeNull();
  });

  it('observes clients, subscriptions and every counter under its documented name, by server port', async () => {
    const collect = registerMeter();
    const observer = ServerMetrics.observe(SOURCE);
    expect(observer).not.toBeNull();
    const scopes = await collect();
    expect(scopes.map((s) => s.scope.name)).toEqual(['@vsoa/core']);
    const all = scopes[0].metrics;
    const byName = new Map(all.map((m) => [m.descriptor.name, m]));
    expect([...byName.keys()].sort()).toEqual(
      ['vsoa.server.clients', 'vsoa.server.subscriptions', ...DOCUMENTED_COUNTERS.map((c) => `vsoa.server.${c}`)].sort(),
    );
    expect(points(byName.get('vsoa.server.clients')!).map((p) => [p.value, p.attributes])).toEqual([[3, { 'server.port': 3005 }]]);
    expect(points(byName.get('vsoa.server.subscriptions')!).map((p) => [p.value, p.attributes])).toEqual([[5, { 'server.port': 3005 }]]);
    DOCUMENTED_COUNTERS.forEach((name, i) => {
      expect([name, points(byName.get(`vsoa.server.${name}`)!).map((p) => [p.value, p.attributes])]).toEqual([
        name,
        [[i + 1, { 'server.port': 3005 }]],
      ]);
    });
    // What Prometheus shows as HELP: the documented ones as written, and every one its own.
    expect(byName.get('vsoa.server.clients')!.descriptor.description).toBe('Clients connected (handshaken)');
    expect(byName.get('vsoa.server.connections')!.descriptor.description).toBe('Connections accepted');
    expect(byName.get('vsoa.server.protocol_errors')!.descriptor.description).toBe('Packets that broke the protocol');
    const descriptions = all.map((m) => m.descriptor.description);
    expect(descriptions.filter((d) => d.trim() === '')).toEqual([]);
    expect(new Set(descriptions).size).toBe(all.length);
  });

  it('stops observing when told (the server closed)', async () => {
    const collect = registerMeter();
    ServerMetrics.observe(SOURCE)!.stop();
    const left = (await collect()).flatMap((s) => s.metrics).filter((m) => m.dataPoints.length > 0);
    expect(left.map((m) => m.descriptor.name)).toEqual([]);
  });
});
