import { mutationConfig } from './shared.mjs';

// The Nest library, against its unit tests and the Nest end-to-end tests. The score must stay at
// or above 75 %.
export default mutationConfig('nestjs-vsoa', { high: 85, low: 75, break: 75 }, [
  '<rootDir>/libs/nestjs-vsoa/src/**/*.spec.ts',
  '<rootDir>/test/nest/**/*.e2e-spec.ts',
  '<rootDir>/test/proxy/nest-gateway.e2e-spec.ts',
  '<rootDir>/test/telemetry/nest-telemetry.e2e-spec.ts',
]);
