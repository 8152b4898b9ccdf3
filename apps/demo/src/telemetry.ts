/**
 * OpenTelemetry for the demo, set up as an app sets it up: metrics served to Prometheus at
 * GET /metrics, and traces sent to an OTLP endpoint when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * The SDK is registered before the VSOA server listens, which is when the library takes its
 * tracer and meter.
 */
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

@Injectable()
export class Telemetry implements OnApplicationShutdown {
  /** Renders the metrics in Prometheus' text format (see MetricsController). */
  readonly prometheus = new PrometheusExporter({ preventServerStart: true });
  private readonly meters: MeterProvider;
  private readonly tracers: NodeTracerProvider | null = null;

  constructor() {
    const resource = resourceFromAttributes({ 'service.name': 'vsoa-demo' });
    this.meters = new MeterProvider({ resource, readers: [this.prometheus] });
    metrics.setGlobalMeterProvider(this.meters);
    if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
      // The exporter reads the endpoint (and OTEL_EXPORTER_OTLP_HEADERS, …) from the environment.
      this.tracers = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
      this.tracers.register();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.meters.shutdown(), this.tracers?.shutdown()]);
  }
}
