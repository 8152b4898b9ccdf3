import { Module } from '@nestjs/common';
import { VsoaModule } from '@vsoa/nestjs';
import { LightController } from './light.controller';
import { LightService } from './light.service';

export const HTTP_PORT = Number(process.env.HTTP_PORT ?? 3000);
export const VSOA_PORT = Number(process.env.VSOA_PORT ?? 3005);
export const HOST = process.env.HOST ?? '127.0.0.1';

@Module({
  imports: [VsoaModule.forRoot({ host: HOST, port: VSOA_PORT, info: { name: 'demo' } })],
  controllers: [LightController],
  providers: [LightService],
})
export class AppModule {}
