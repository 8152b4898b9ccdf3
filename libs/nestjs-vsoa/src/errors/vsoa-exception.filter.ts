import { ArgumentsHost, Catch, HttpException, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { errorToStatus } from './status-mapping';

/**
 * Keeps the VSOA status of errors that Nest's default RPC filter would hide as "Internal server
 * error" — chiefly the HttpExceptions thrown by `ValidationPipe` and `ParseIntPipe` (400 →
 * ARGUMENTS, 401/403 → NO_PERMISSIONS, 404 → INVALID_URL). Register it globally
 * (`app.useGlobalFilters(new VsoaExceptionFilter())`) or on a controller.
 */
@Catch()
export class VsoaExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const { status, message } = errorToStatus(exception);
    const detail = exception instanceof HttpException ? exception.getResponse() : undefined;
    return throwError(() => ({ status, message, ...(typeof detail === 'object' && detail !== null ? { detail } : {}) }));
  }
}
