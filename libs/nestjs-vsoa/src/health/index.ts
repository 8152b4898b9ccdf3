/**
 * The `@nestjs/terminus` health indicator, a separate entry point (`@vsoa/nestjs/health`) so
 * that only apps using Terminus need it installed.
 *
 * @module @vsoa/nestjs/health
 */
export { VsoaHealthIndicator } from './vsoa.health';
export type { VsoaHealthCheckOptions, VsoaHealthTarget, VsoaHealthUp, VsoaHealthDown } from './vsoa.health';
