import type { BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import type { VsoaServerCounters } from '../server/types';
import { otel, SCOPE } from './otel';

/** What the `vsoa.server.*` instruments read from one server. */
export interface ServerMetricsSource {
  counters: Readonly<VsoaServerCounters>;
  /** Clients that completed the handshake. */
  clients(): number;
  /** Subscriptions the clients hold, all together. */
  subscriptions(): number;
  /** The server's listening port, to tell servers of one process apart. */
  port(): number;
}

/** `vsoa.server.<name>` for each counter, with what it counts. */
const COUNTERS: Record<keyof VsoaServerCounters, string> = {
  connections: 'Connections accepted',
  protocolErrors: 'Packets that broke the protocol',
  closedForProtocol: 'Connections closed for a protocol error',
  passwordRefused: 'Handshakes refused for a wrong password',
  handshakeTimeouts: 'Connections closed for not handshaking in time',
  slowClientsDropped: 'Clients dropped for not reading what was sent to them',
  badParams: 'Packets whose param is not JSON',
  spoofedDatagrams: 'Quick datagrams dropped: unknown client id or foreign address',
  badDatagrams: 'UDP datagrams that are not packets',
  streamsRefused: 'Stream tunnel connections turned away',
  tlsHandshakeFailures: 'TLS handshakes that failed or renegotiations refused',
  subscriptionsRefused: 'SUBSCRIBE requests refused at maxSubscriptions',
  callsThrottled: 'Times a client was paused at maxCallsInFlight',
  streamLimitHits: 'Stream tunnels refused at maxStreamsPerClient',
  jobsDropped: 'Work-queue jobs dropped when their client left',
  publishes: 'publish() calls',
  publishDeliveries: 'Publish packets sent to clients',
  datagramsReceived: 'Datagrams received from clients (TCP and quick)',
  datagramsSent: 'Datagrams sent to clients (TCP and quick)',
};

/** `camelCase` → `snake_case`, as OpenTelemetry names are written. */
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The server's counters as OpenTelemetry instruments, observed when the SDK collects:
 * `vsoa.server.clients` and `vsoa.server.subscriptions` (up-down counters, now) and one
 * `vsoa.server.<counter>` per counter (monotonic), each with a `server.port` attribute.
 */
export class ServerMetrics {
  private constructor(
    private readonly meter: Meter,
    private readonly observables: Observable[],
    private readonly callback: BatchObservableCallback,
  ) {}

  /** Starts observing `source`; null when there is no API or no SDK to observe for. */
  static observe(source: ServerMetricsSource): ServerMetrics | null {
    const api = otel();
    const meter = api?.metrics.getMeter(SCOPE);
    if (!api || !meter || meter === api.createNoopMeter()) return null;
    const clients = meter.createObservableUpDownCounter('vsoa.server.clients', { description: 'Clients connected (handshaken)' });
    const subscriptions = meter.createObservableUpDownCounter('vsoa.server.subscriptions', {
      description: 'Subscriptions held by clients',
    });
    const counters = (Object.keys(COUNTERS) as Array<keyof VsoaServerCounters>).map(
      (key) => [key, meter.createObservableCounter(`vsoa.server.${snake(key)}`, { description: COUNTERS[key] })] as const,
    );
    const callback: BatchObservableCallback = (result) => {
      const attributes = { 'server.port': source.port() };
      result.observe(clients, source.clients(), attributes);
      result.observe(subscriptions, source.subscriptions(), attributes);
      for (const [key, counter] of counters) result.observe(counter, source.counters[key], attributes);
    };
    const observables = [clients, subscriptions, ...counters.map(([, counter]) => counter)];
    meter.addBatchObservableCallback(callback, observables);
    return new ServerMetrics(meter, observables, callback);
  }

  /** Stops observing (the server closed). */
  stop(): void {
    this.meter.removeBatchObservableCallback(this.callback, this.observables);
  }
}
