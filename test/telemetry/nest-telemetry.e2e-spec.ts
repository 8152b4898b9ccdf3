import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { firstValueFrom } from 'rxjs';
import { ClientVsoa, VsoaModule, VsoaServerStrategy } from '@vsoa/nestjs';
import { registerTestSdk } from './setup';

const sdk = registerTestSdk();
const tracer = trace.getTracer('test-app');

/** A service whose work shows up as a span of its own. */
@Injectable()
class Lights {
  async dim(level: number): Promise<number> {
    return tracer.startActiveSpan('Lights.dim', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      span.end();
      return level;
    });
  }
}

@Controller()
class LightController {
  constructor(private readonly lights: Lights) {}

  @MessagePattern('/dim')
  dim(@Payload() level: number): Promise<number> {
    return this.lights.dim(level);
  }

  @MessagePattern('/teapot')
  teapot(): never {
    throw new RpcException({ status: 130, message: 'short and stout' });
  }
}

@Module({ imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })], controllers: [LightController], providers: [Lights] })
class AppModule {}

describe('OpenTelemetry through the Nest transport', () => {
  it("parents a controller's spans on the SERVER span, and ClientVsoa's CLIENT span on the caller's", async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: moduleRef.get(VsoaServerStrategy), logger: false });
    await app.listen();
    const car = new ClientVsoa({ url: `vsoa://127.0.0.1:${app.get(VsoaServerStrategy).unwrap().address()!.port}` });
    try {
      await tracer.startActiveSpan('http request', async (outer) => {
        expect(await firstValueFrom(car.send('/dim', 40))).toBe(40);
        await expect(firstValueFrom(car.send('/teapot', {}))).rejects.toMatchObject({ status: 130 });
        outer.end();
      });
    } finally {
      await car.close();
      await app.close();
    }
    const spans = sdk.spans();
    const find = (name: string, kind?: SpanKind) => spans.find((s) => s.name === name && (kind === undefined || s.kind === kind))!;
    const outer = find('http request');
    const dimClient = find('/dim', SpanKind.CLIENT);
    const dimServer = find('/dim', SpanKind.SERVER);
    expect(dimClient.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(find('Lights.dim').parentSpanContext?.spanId).toBe(dimServer.spanContext().spanId);
    expect(find('/teapot', SpanKind.SERVER)).toMatchObject({ attributes: expect.objectContaining({ 'rpc.response.status_code': '130' }) });
    expect(find('/teapot', SpanKind.SERVER).status.code).toBe(SpanStatusCode.ERROR);
    expect(find('/teapot', SpanKind.CLIENT).status.code).toBe(SpanStatusCode.ERROR);
  });
});
