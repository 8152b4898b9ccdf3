/**
 * `@opentelemetry/api`, if the app has it: the library instruments through the API alone (the
 * OpenTelemetry convention for libraries), an optional peer dependency. Without it nothing is
 * measured and nothing fails; with it but no SDK registered, the API's no-op tracer and meter cost
 * next to nothing.
 */
import type * as Api from '@opentelemetry/api';

export type OtelApi = typeof Api;

let loaded: OtelApi | null | undefined;

/** The API module, or null when it is not installed. */
export function otel(): OtelApi | null {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: a static import would fail to load without it
      loaded = require('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Instrumentation scope of every span and instrument the library makes. */
export const SCOPE = '@vsoa/core';
