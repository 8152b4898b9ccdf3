import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly vsoa: VsoaHealthIndicator,
    private readonly strategy: VsoaServerStrategy,
    private readonly config: ConfigService,
  ) {}

  @Get('health')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    const port = this.strategy.unwrap().address()?.port;
    const passwd = this.config.get<string>('VSOA_PASSWD');
    return this.health.check([() => this.vsoa.pingCheck('vsoa', `vsoa://127.0.0.1:${port}`, { passwd, timeout: 500 })]);
  }
}
