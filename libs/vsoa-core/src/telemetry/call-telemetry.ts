/**
 * The measuring of one call, as the server and the client see it. Kept free of OpenTelemetry's
 * types, so that the library's declarations compile in apps without `@opentelemetry/api`.
 */
export interface CallTelemetry {
  /** Runs `fn` with the call's span active, so that spans made inside are its children. */
  run<T>(fn: () => T): T;
  /** The call was answered with `status` (server: the reply sent; client: the reply received). */
  end(status: number): void;
  /** The call ended without a status: a timeout, a closed link, a refused argument. */
  fail(error: unknown): void;
}

/** Starts measuring calls. */
export interface CallTelemetrySource {
  /** False when nothing would record (no API, no SDK): check it before making attributes. */
  readonly enabled: boolean;
  /** `attributes` go on the span and the duration; `spanOnly` (a peer's port, say) on the span alone. */
  start(url: string, attributes?: Record<string, string | number>, spanOnly?: Record<string, string | number>): CallTelemetry | null;
}
