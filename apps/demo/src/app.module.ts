import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { VsoaModule } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';
import { HOST, PROXY, VSOA_PORT } from './config';
import { HealthController } from './health.controller';
import { LightController } from './light.controller';
import { LightService } from './light.service';
import { MetricsController } from './metrics.controller';
import { Telemetry } from './telemetry';

export { HOST, HTTP_PORT, VSOA_PORT } from './config';

@Module({
  imports: [VsoaModule.forRoot({ host: HOST, port: VSOA_PORT, info: { name: 'demo' }, proxy: PROXY, describe: true }), TerminusModule],
  controllers: [LightController, HealthController, MetricsController],
  // Telemetry first: the SDK must be registered before the VSOA server listens.
  providers: [Telemetry, LightService, VsoaHealthIndicator],
})
export class AppModule {}
