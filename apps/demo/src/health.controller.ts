import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';
import { HOST, VSOA_PORT } from './config';

/** `GET /health`: 200 while the demo's own VSOA port answers a ping, 503 once it does not. */
@Controller('health')
export class HealthController {
  /** Where the VSOA side listens; with VSOA_PORT=0 the real port is learnt once it listens. */
  private url = selfUrl(VSOA_PORT);

  constructor(
    private readonly health: HealthCheckService,
    private readonly vsoa: VsoaHealthIndicator,
    private readonly strategy: VsoaServerStrategy,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.vsoa.pingCheck('vsoa', this.target())]);
  }

  private target(): string {
    try {
      const port = this.strategy.unwrap().address()?.port;
      if (port) this.url = selfUrl(port);
    } catch {
      // not listening (any more): probe the last known address, which reports down
    }
    return this.url;
  }
}

/** A wildcard bind address is reached through the loopback. */
function selfUrl(port: number): string {
  const host = HOST === '0.0.0.0' || HOST === '::' ? '127.0.0.1' : HOST;
  return `vsoa://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
