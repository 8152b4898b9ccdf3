import type { Attributes, Context, Histogram, Span, Tracer } from '@opentelemetry/api';
import { statusName, VsoaStatus } from '../protocol/constants';
import type { CallTelemetry, CallTelemetrySource } from './call-telemetry';
import { otel, OtelApi, SCOPE } from './otel';

/** Buckets of the call-duration histograms (seconds): the OTel RPC defaults, from 5 ms to 10 s. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** A status as `rpc.response.status_code` gives it: its name, or the number of an application code. */
export function statusCode(status: number): string {
  return status >= 128 ? String(status) : statusName(status);
}

/**
 * Spans and the call-duration histogram of one side of RPC, by the OpenTelemetry RPC semantic
 * conventions: a SERVER span per call received, a CLIENT span per call sent, named by the URL
 * (`rpc.method`), with `rpc.system.name` "vsoa" and `rpc.response.status_code`; any non-zero
 * status, a timeout or a closed link is an error (`error.type`, span status ERROR).
 * Made when a server listens or a client connects: register the SDK before that.
 */
export class RpcTelemetry implements CallTelemetrySource {
  readonly enabled: boolean;
  private readonly api: OtelApi | null;
  private readonly tracer: Tracer | null;
  private readonly duration: Histogram | null;

  constructor(private readonly side: 'server' | 'client') {
    const api = otel();
    this.api = api;
    // Whether an SDK is behind the global tracer provider: a fresh proxy's delegate is the API's
    // no-op provider. Decided once, so that a call costs one check when nothing records.
    const tracing =
      api !== null && api.trace.getTracerProvider() instanceof api.ProxyTracerProvider
        ? (api.trace.getTracerProvider() as InstanceType<OtelApi['ProxyTracerProvider']>).getDelegate() !==
          new api.ProxyTracerProvider().getDelegate()
        : api !== null;
    this.tracer = api && tracing ? api.trace.getTracer(SCOPE) : null;
    const meter = api?.metrics.getMeter(SCOPE);
    // The API hands out one shared no-op meter while no SDK is registered: then record nothing.
    this.duration =
      api && meter && meter !== api.createNoopMeter()
        ? meter.createHistogram(`rpc.${side}.call.duration`, {
            description: `Duration of RPC calls ${side === 'server' ? 'served' : 'made'}, until the reply`,
            unit: 's',
            advice: { explicitBucketBoundaries: BUCKETS },
          })
        : null;
    this.enabled = this.tracer !== null || this.duration !== null;
  }

  /**
   * Starts measuring a call to `url`; null when nothing records (no API, or no SDK), so that the
   * call costs nothing more. A server span has no parent: VSOA carries no trace context.
   */
  start(url: string, attributes: Attributes = {}, spanOnly: Attributes = {}): CallTelemetry | null {
    const api = this.api;
    if (!api || !this.enabled) return null;
    const server = this.side === 'server';
    // Metric attributes stay few in values (no peer ports): every value set is a time series.
    const base: Attributes = { 'rpc.system.name': 'vsoa', 'rpc.method': url, ...attributes };
    const parent = server ? api.ROOT_CONTEXT : api.context.active();
    const kind = server ? api.SpanKind.SERVER : api.SpanKind.CLIENT;
    const started = this.tracer?.startSpan(url, { kind, attributes: { ...base, ...spanOnly } }, parent);
    // A span the sampler dropped is not recording: nothing to set on it.
    const span = started?.isRecording() ? started : null;
    if (!span && !this.duration) return null;
    return new Call(api, span, parent, this.duration, base, performance.now());
  }
}

class Call implements CallTelemetry {
  private ended = false;

  constructor(
    private readonly api: OtelApi,
    private readonly span: Span | null,
    private readonly parent: Context,
    private readonly duration: Histogram | null,
    private readonly attributes: Attributes,
    private readonly started: number,
  ) {}

  run<T>(fn: () => T): T {
    if (!this.span) return fn();
    return this.api.context.with(this.api.trace.setSpan(this.parent, this.span), fn);
  }

  end(status: number): void {
    const code = statusCode(status);
    this.finish({ 'rpc.response.status_code': code }, status === VsoaStatus.SUCCESS ? undefined : code);
  }

  fail(error: unknown): void {
    const code = (error as { code?: unknown })?.code;
    const type = typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error';
    this.finish({}, type, error instanceof Error ? error.message : undefined);
  }

  private finish(result: Attributes, errorType?: string, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    const attributes =
      errorType === undefined ? { ...this.attributes, ...result } : { ...this.attributes, ...result, 'error.type': errorType };
    this.duration?.record((performance.now() - this.started) / 1000, attributes);
    const span = this.span;
    if (!span) return;
    span.setAttributes(attributes);
    if (errorType !== undefined) span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: message ?? errorType });
    span.end();
  }
}
