import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { errorToReply, errorToStatus, httpToVsoaStatus, isErrorStatus } from './status-mapping';
import { VsoaRpcError } from './vsoa-rpc.error';

// What a VSOA caller receives (status byte, param) when a Nest handler fails in a given way.
describe('the reply a failed handler gives', () => {
  it.each([
    [400, 2],
    [422, 2],
    [401, 5],
    [403, 5],
    [404, 3],
    [409, 4],
    [500, 4],
    [200, 4],
  ])('HTTP %i becomes VSOA status %i', (http, vsoa) => {
    expect(httpToVsoaStatus(http)).toBe(vsoa);
  });

  it('lets handlers put only 2-6 and 128-255 on the wire', () => {
    for (const ok of [2, 3, 4, 5, 6, 128, 200, 255]) expect(isErrorStatus(ok)).toBe(true);
    for (const no of [0, 1, 7, 127, 256, -2, 2.5, '2', undefined, null]) expect(isErrorStatus(no)).toBe(false);
  });

  it("answers a pipe's HttpException with its HTTP body, as an HTTP caller would get it", () => {
    const validation = new BadRequestException(['name must be a string', 'age must be a number']);
    expect(errorToReply(validation)).toEqual({
      status: 2,
      message: 'name must be a string; age must be a number',
      param: { statusCode: 400, message: ['name must be a string', 'age must be a number'], error: 'Bad Request' },
    });
    expect(errorToReply(new UnprocessableEntityException('bad shape'))).toMatchObject({ status: 2, message: 'bad shape' });
    expect(errorToReply(new UnauthorizedException())).toMatchObject({ status: 5, message: 'Unauthorized' });
    expect(errorToReply(new ForbiddenException())).toMatchObject({ status: 5, message: 'Forbidden' });
    expect(errorToReply(new NotFoundException('no such light'))).toMatchObject({ status: 3, message: 'no such light' });
    expect(errorToReply(new InternalServerErrorException())).toMatchObject({ status: 4, message: 'Internal Server Error' });
  });

  it('keeps a string response as the message of an HTTP-like body', () => {
    expect(errorToReply(new HttpException('teapot', 418))).toEqual({
      status: 4,
      message: 'teapot',
      param: { statusCode: 418, message: 'teapot' },
    });
    const silent = new HttpException({ detail: 'x' }, 400);
    expect(errorToReply(silent)).toEqual({ status: 2, message: 'Http Exception', param: { detail: 'x' } });
    const nothing = { getStatus: () => 404, getResponse: () => ({}), message: 42 };
    expect(errorToReply(nothing)).toEqual({ status: 3, message: 'HTTP 404', param: {} });
  });

  it("takes an RpcException's own status 2-6 or 128-255, with the rest of its object in the param", () => {
    expect(errorToReply(new RpcException({ status: 130, message: 'motor stalled', rpm: 0 }))).toEqual({
      status: 130,
      message: 'motor stalled',
      param: { rpm: 0, error: 'motor stalled' },
    });
    expect(errorToReply(new RpcException('just words'))).toEqual({ status: 4, message: 'just words', param: { error: 'just words' } });
    expect(errorToReply(new RpcException({ status: 1, message: 'not ours to send' }))).toMatchObject({ status: 4 });
    expect(errorToReply(new RpcException({ statusCode: 403, message: 'nope' }))).toMatchObject({ status: 5, param: { error: 'nope' } });
  });

  it('answers a denied guard with NO_PERMISSIONS and anything else with NO_RESPONDING', () => {
    expect(errorToReply(new Error('Forbidden resource'))).toMatchObject({ status: 5, message: 'Forbidden resource' });
    expect(errorToReply(new Error('Forbidden resources'))).toMatchObject({ status: 4 });
    expect(errorToReply(new TypeError('x is undefined'))).toEqual({
      status: 4,
      message: 'x is undefined',
      param: { error: 'x is undefined' },
    });
    expect(errorToReply('plain words')).toEqual({ status: 4, message: 'plain words', param: { error: 'plain words' } });
    expect(errorToReply(undefined)).toEqual({ status: 4, message: 'Internal error', param: { error: 'Internal error' } });
    expect(errorToReply(null)).toMatchObject({ status: 4, message: 'Internal error' });
    expect(errorToReply({ message: ['a', 'b'], code: 7 })).toEqual({ status: 4, message: 'a; b', param: { code: 7, error: 'a; b' } });
    expect(errorToReply({ message: ['a', 3] })).toMatchObject({ message: 'Internal error' });
  });

  it('keeps out of the param the keys that became the status and the message', () => {
    expect(errorToReply(new RpcException({ statusCode: 403, message: 'nope', user: 'x' }))).toEqual({
      status: 5,
      message: 'nope',
      param: { user: 'x', error: 'nope' },
    });
    expect(errorToReply({ status: 131, message: 'jammed', axis: 2 })).toEqual({
      status: 131,
      message: 'jammed',
      param: { axis: 2, error: 'jammed' },
    });
    // Only a plain object lends its fields: an Error's own properties stay out.
    expect(errorToReply(Object.assign(new Error('broke'), { secret: 'k' }))).toEqual({
      status: 4,
      message: 'broke',
      param: { error: 'broke' },
    });
  });

  it('takes an HTTP status only from a number statusCode, and an HTTP body only with both getStatus and getResponse', () => {
    expect(errorToReply({ statusCode: '404', message: 'as text' })).toMatchObject({ status: 4 });
    expect(errorToReply({ statusCode: 404, message: 'as number' })).toMatchObject({ status: 3 });
    expect(errorToReply({ getStatus: () => 404, message: 'half an HttpException' })).toEqual({
      status: 4,
      message: 'half an HttpException',
      param: { getStatus: expect.any(Function), error: 'half an HttpException' },
    });
    expect(errorToReply({ getResponse: () => ({ a: 1 }), message: 'other half' })).toMatchObject({ status: 4, message: 'other half' });
  });

  it('gives only the status and the one line to errorToStatus', () => {
    expect(errorToStatus(new NotFoundException('gone'))).toEqual({ status: 3, message: 'gone' });
  });
});

describe('VsoaRpcError, the error ClientVsoa.send() fails with', () => {
  it("says the reply param's message, else its error, else the URL and status by name", () => {
    expect(VsoaRpcError.fromReply('/a', 2, { param: { message: ['x', 'y'] } }).message).toBe('x; y');
    expect(VsoaRpcError.fromReply('/a', 4, { param: { error: 'stalled' } }).message).toBe('stalled');
    expect(VsoaRpcError.fromReply('/a', 3, { param: { message: [] } }).message).toBe('/a failed with status INVALID_URL (3)');
    expect(VsoaRpcError.fromReply('/a', 130, {}).message).toBe('/a failed with status STATUS_130 (130)');
    const error = VsoaRpcError.fromReply('/a', 5, { param: { error: 'no' } });
    expect(error).toMatchObject({ name: 'VsoaRpcError', code: 'STATUS', status: 5, payload: { param: { error: 'no' } } });
    expect(new VsoaRpcError(4, 'm').payload).toEqual({});
    expect(VsoaRpcError.fromReply('/a', 2, { param: { message: 'first', error: 'second' } }).message).toBe('first');
    expect(VsoaRpcError.fromReply('/a', 2, { param: { message: 7, error: ['e', 'f'] } }).message).toBe('e; f');
    expect(VsoaRpcError.fromReply('/a', 4, { param: { error: 5 } }).message).toBe('/a failed with status NO_RESPONDING (4)');
    expect(VsoaRpcError.fromReply('/a', 4, { param: { message: ['x', 1] } }).message).toBe('/a failed with status NO_RESPONDING (4)');
    expect(VsoaRpcError.fromReply('/a', 4, { param: 'text' }).message).toBe('/a failed with status NO_RESPONDING (4)');
    expect(VsoaRpcError.fromReply('/a', 4, {})).toBeInstanceOf(Error);
  });
});
