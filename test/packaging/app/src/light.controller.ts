import { Body, CanActivate, Controller, Get, Injectable, Put, UseGuards } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { VsoaContext, VsoaPublisher } from '@vsoa/nestjs';

/** A SET changes what it names; a GET carries none of it. */
export class LightChange {
  @IsOptional() @IsBoolean() on?: boolean;
  @IsOptional() @IsInt() @Min(0) @Max(100) brightness?: number;
}

export interface Light {
  on: boolean;
  brightness: number;
}

/** What the datagram handler received, for the tests to watch. */
@Injectable()
export class Readings {
  readonly datagrams = new Subject<{ url: string; param: unknown; quick: boolean }>();
  /** A slow call has started (a shutdown test closes the app while it runs). */
  readonly slowStarted = new Subject<void>();
}

@Injectable()
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** The README's light, served over VSOA and HTTP alike. */
@Controller()
export class LightController {
  private readonly state: Light = { on: false, brightness: 0 };

  constructor(
    private readonly publisher: VsoaPublisher,
    private readonly readings: Readings,
  ) {}

  @MessagePattern('/light') // RPC; '/files/' would serve a prefix, '/' the default
  light(@Payload() change: LightChange, @Ctx() ctx: VsoaContext): Light {
    if (ctx.method === 'SET') this.set(change);
    return this.state;
  }

  @Put('light')
  putLight(@Body() change: LightChange): Light {
    this.set(change);
    return this.state;
  }

  @Get('light')
  getLight(): Light {
    return this.state;
  }

  @MessagePattern('/teapot')
  teapot(): never {
    throw new RpcException({ status: 130, message: 'I am a teapot' });
  }

  @MessagePattern('/guarded')
  @UseGuards(DenyAll)
  guarded(): string {
    return 'never';
  }

  @MessagePattern('/bug')
  bug(): never {
    throw new Error('the lamp driver crashed');
  }

  @MessagePattern('/slow')
  async slow(@Payload() ms: number): Promise<string> {
    this.readings.slowStarted.next();
    await sleep(ms);
    return 'done';
  }

  @MessagePattern('/log')
  log(): Readable {
    return Readable.from([Buffer.from('line 1\n'), Buffer.from('line 2\n')]);
  }

  @EventPattern<string>('/sensor/') // datagrams from clients, reliable and quick (ctx.quick)
  sensor(@Payload() reading: unknown, @Ctx() ctx: VsoaContext): void {
    this.readings.datagrams.next({ url: ctx.url, param: reading, quick: ctx.quick });
  }

  private set(change: LightChange): void {
    Object.assign(this.state, change);
    this.publisher.publish('/light', this.state);
  }
}
