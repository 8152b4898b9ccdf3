import { ArgumentsHost, BadRequestException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom, isObservable, Observable } from 'rxjs';
import { recordLogsEachTest } from '../../../../test/nest/recording-logger';
import { VsoaContext } from '../vsoa.context';
import { VsoaExceptionFilter } from './vsoa-exception.filter';

const logs = recordLogsEachTest();

/** The host Nest gives a filter for a call of `type`, its context `context`. */
function hostOf(type: 'rpc' | 'http', context: unknown): ArgumentsHost {
  const host = new ExecutionContextHost([{}, context]);
  host.setType(type);
  return host;
}

/** What the Observable a filter returns fails with. */
async function failureOf(result: unknown): Promise<unknown> {
  expect(isObservable(result)).toBe(true);
  return firstValueFrom(result as Observable<never>).then(
    () => 'no failure',
    (error: unknown) => error,
  );
}

const vsoaCall = (): VsoaContext => new VsoaContext([null as never, '/x', {}, null, false]);

describe('VsoaExceptionFilter', () => {
  it('hands a VSOA call the exception itself, for the strategy to turn into status and param', async () => {
    const filter = new VsoaExceptionFilter();
    for (const exception of [new BadRequestException(['a']), new RpcException({ status: 130 }), { status: 131 }, new Error('bug'), null]) {
      expect(await failureOf(filter.catch(exception, hostOf('rpc', vsoaCall())))).toBe(exception);
    }
  });

  it('logs, as Nest does, only the errors nobody threw on purpose', async () => {
    const filter = new VsoaExceptionFilter();
    for (const exception of [new BadRequestException('bad'), new RpcException('refused'), { status: 130 }, { status: 6 }]) {
      await failureOf(filter.catch(exception, hostOf('rpc', vsoaCall())));
    }
    expect(logs.current.lines).toEqual([]);
    for (const exception of [new Error('bug'), { status: 1 }, { status: 'error' }, null]) {
      await failureOf(filter.catch(exception, hostOf('rpc', vsoaCall())));
    }
    expect(logs.current.lines.map((line) => [line.level, line.context])).toEqual(Array(4).fill(['error', 'VsoaExceptionFilter']));
    expect(logs.current.lines[0].message).toBe('bug');
  });

  it("answers another RPC transport's call as Nest's RPC layer does", async () => {
    const filter = new VsoaExceptionFilter();
    expect(await failureOf(filter.catch(new Error('bug'), hostOf('rpc', { other: 'transport' })))).toEqual({
      status: 'error',
      message: 'Internal server error',
    });
    expect(await failureOf(filter.catch(new RpcException('refused'), hostOf('rpc', { other: 'transport' })))).toEqual({
      status: 'error',
      message: 'refused',
    });
  });

  it('without an HTTP adapter, rethrows an HTTP route’s error and says how to register the filter', () => {
    const filter = new VsoaExceptionFilter();
    const error = new Error('route failed');
    expect(() => filter.catch(error, hostOf('http', {}))).toThrow(error);
    expect(logs.current.messages('error', 'VsoaExceptionFilter')).toEqual([
      'an HTTP route failed, but this VsoaExceptionFilter has no HTTP adapter: register it with APP_FILTER, or as new VsoaExceptionFilter(app.getHttpAdapter())',
    ]);
  });
});
