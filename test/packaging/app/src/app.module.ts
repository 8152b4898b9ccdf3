import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { VsoaExceptionFilter, VsoaModule } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';
import { ArmController, ArmLog, Calibration, ScopedController } from './arm';
import { HealthController } from './health.controller';
import { LightController, Readings } from './light.controller';

/** TLS from the files VSOA_TLS_DIR names (key.pem, cert.pem), if set. */
function tls(config: ConfigService): { key: Buffer; cert: Buffer } | undefined {
  const dir = config.get<string>('VSOA_TLS_DIR');
  return dir ? { key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) } : undefined;
}

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    VsoaModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        host: '127.0.0.1',
        port: Number(config.get('VSOA_PORT') ?? 0),
        info: { name: 'car' },
        passwd: config.get<string>('VSOA_PASSWD'),
        tls: tls(config),
      }),
      workQueues: ['arm'],
    }),
    TerminusModule,
  ],
  controllers: [LightController, ArmController, ScopedController, HealthController],
  providers: [Readings, ArmLog, Calibration, VsoaHealthIndicator, { provide: APP_FILTER, useClass: VsoaExceptionFilter }],
})
export class AppModule {}
