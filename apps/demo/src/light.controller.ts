import { Body, Controller, Get, Logger, Put } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { VsoaStatus } from '@vsoa/core';
import { VsoaContext } from '@vsoa/nestjs';
import { LightService, LightState } from './light.service';

/** The same light over HTTP (GET/PUT /light) and VSOA (GET/SET /light, datagrams on /sensor/). */
@Controller()
export class LightController {
  private readonly logger = new Logger('Sensors');

  constructor(private readonly light: LightService) {}

  @Get('light')
  httpGet(): LightState {
    return this.light.get();
  }

  @Put('light')
  httpPut(@Body() change: Partial<LightState>): LightState {
    return this.light.set(change);
  }

  @MessagePattern('/light')
  vsoaLight(@Payload() change: Partial<LightState> | undefined, @Ctx() ctx: VsoaContext): LightState {
    if (ctx.method !== 'SET') return this.light.get();
    if (typeof change !== 'object' || change === null) {
      throw new RpcException({ status: VsoaStatus.ARGUMENTS, message: 'expected {"on": boolean, "brightness": 0-100}' });
    }
    return this.light.set(change);
  }

  @MessagePattern('/echo')
  echo(@Payload() param: unknown, @Ctx() ctx: VsoaContext): unknown {
    return ctx.data ? { param, data: ctx.data } : param;
  }

  @EventPattern<string>('/sensor/')
  sensor(@Payload() reading: unknown, @Ctx() ctx: VsoaContext): void {
    this.logger.log(`${ctx.url} = ${JSON.stringify(reading)}${ctx.quick ? ' (quick)' : ''} from client ${ctx.clientId}`);
  }
}
