import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Body, Controller, Get, Logger, Put } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { VsoaStatus } from '@vsoa/core';
import { VsoaContext } from '@vsoa/nestjs';
import { LightService, LightState } from './light.service';

/** The file `/file` streams: DEMO_FILE, or the README of the directory the demo runs in. */
const DEMO_FILE = process.env.DEMO_FILE ?? join(process.cwd(), 'README.md');

/** The same light over HTTP (GET/PUT /light) and VSOA (GET/SET /light, a resource of LightService), datagrams on /sensor/. */
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

  @MessagePattern('/echo')
  echo(@Payload() param: unknown, @Ctx() ctx: VsoaContext): unknown {
    return ctx.data ? { param, data: ctx.data } : param;
  }

  /** A file as a stream: the reply announces a tunnel and the bytes flow through it. */
  @MessagePattern('/file')
  file(): Readable {
    if (!existsSync(DEMO_FILE)) throw new RpcException({ status: VsoaStatus.INVALID_URL, message: `no file ${DEMO_FILE}` });
    return createReadStream(DEMO_FILE);
  }

  @EventPattern<string>('/sensor/')
  sensor(@Payload() reading: unknown, @Ctx() ctx: VsoaContext): void {
    this.logger.log(`${ctx.url} = ${JSON.stringify(reading)}${ctx.quick ? ' (quick)' : ''} from client ${ctx.clientId}`);
  }
}
