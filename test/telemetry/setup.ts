import { metrics, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';

/**
 * The OpenTelemetry SDK registered as an app registers it (global tracer and meter providers, the
 * AsyncLocalStorage context manager), exporting to memory so that tests can read what was recorded.
 */
export function registerTestSdk(): { spans: () => ReadableSpan[]; collect: () => Promise<ResourceMetrics[]>; reset: () => void } {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  tracerProvider.register();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when asked (forceFlush), never on its own during a test.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    spans: () => spanExporter.getFinishedSpans(),
    collect: async () => {
      metricExporter.reset();
      await reader.forceFlush();
      return metricExporter.getMetrics();
    },
    reset: () => spanExporter.reset(),
  };
}

/** The data points of the histogram `name` in what was collected. */
export function histogramPoints(collected: ResourceMetrics[], name: string): Array<DataPoint<Histogram>> {
  const last = collected[collected.length - 1];
  for (const scope of last?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) if (metric.descriptor.name === name) return metric.dataPoints as Array<DataPoint<Histogram>>;
  }
  return [];
}

/** The value of the data point of counter `name` (summed over attributes). */
export function counterValue(collected: ResourceMetrics[], name: string): number | undefined {
  const last = collected[collected.length - 1];
  for (const scope of last?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name)
        return (metric.dataPoints as Array<DataPoint<number>>).reduce((sum, point) => sum + point.value, 0);
    }
  }
  return undefined;
}

export { trace };
