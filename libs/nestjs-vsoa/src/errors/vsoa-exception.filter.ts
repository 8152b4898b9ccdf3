import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { VsoaContext } from '../vsoa.context';
import { isErrorStatus } from './status-mapping';

/**
 * Lets an error reach the VSOA caller with its status and details instead of Nest's
 * "Internal server error": chiefly the HttpExceptions of `ValidationPipe` and `ParseIntPipe`
 * (400 → ARGUMENTS with the validation messages in the reply's param, 401/403 → NO_PERMISSIONS,
 * 404 → INVALID_URL). Elsewhere it does what Nest does by default: an HTTP route answers as
 * Nest's HTTP layer would, another RPC transport as Nest's RPC layer would.
 *
 * Register it globally through DI, so that it also holds the HTTP adapter:
 * `providers: [{ provide: APP_FILTER, useClass: VsoaExceptionFilter }]` — in a hybrid app
 * together with `connectMicroservice(…, { inheritAppConfig: true })`. `new VsoaExceptionFilter()`
 * serves VSOA-only apps; give it `app.getHttpAdapter()` when HTTP routes may meet it.
 */
@Catch()
export class VsoaExceptionFilter extends BaseExceptionFilter {
  private readonly rpcDefault = new BaseRpcExceptionFilter();

  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') {
      if (host.switchToRpc().getContext() instanceof VsoaContext) {
        // What Nest's own filter logs: the errors nobody threw on purpose.
        if (!(
          exception instanceof HttpException ||
          exception instanceof RpcException ||
          isErrorStatus((exception as { status?: unknown })?.status)
        )) {
          new Logger('VsoaExceptionFilter').error(exception);
        }
        // The strategy turns the exception itself into the reply (status and param).
        return throwError(() => exception);
      }
      return this.rpcDefault.catch(exception, host) as Observable<never>;
    }
    if (!this.applicationRef && !this.httpAdapterHost?.httpAdapter) {
      new Logger('VsoaExceptionFilter').error(
        'an HTTP route failed, but this VsoaExceptionFilter has no HTTP adapter: register it with APP_FILTER, or as new VsoaExceptionFilter(app.getHttpAdapter())',
      );
      throw exception;
    }
    return super.catch(exception, host);
  }
}
