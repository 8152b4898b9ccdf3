import { mutationConfig } from './shared.mjs';

// The protocol core, against its unit tests and the end-to-end tests of core behaviour (interop
// with the official peer, hostile input, the seed's examples, the gateway, TLS, naming,
// telemetry, the position service's table). The score must stay at or above
// 85 %.
export default mutationConfig('vsoa-core', { high: 90, low: 85, break: 85 }, [
  '<rootDir>/libs/vsoa-core/src/**/*.spec.ts',
  '<rootDir>/test/interop/**/*.e2e-spec.ts',
  '<rootDir>/test/bad-input/**/*.e2e-spec.ts',
  '<rootDir>/test/seed/**/*.e2e-spec.ts',
  '<rootDir>/apps/position/src/**/*.spec.ts',
  '<rootDir>/test/proxy/proxy.e2e-spec.ts',
  '<rootDir>/test/tls/**/*.e2e-spec.ts',
  '<rootDir>/test/naming/**/*.e2e-spec.ts',
  '<rootDir>/test/telemetry/core-telemetry.e2e-spec.ts',
]);
