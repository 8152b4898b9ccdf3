import { toMethod } from '@vsoa/core';
import type { VsoaMethod, VsoaMethodLike } from '@vsoa/core';

/** Per-message options of a ClientVsoa `send()` / `emit()`. */
export interface VsoaRecordOptions {
  /** RPC method; GET unless told. */
  method?: VsoaMethod;
  /** Send a datagram over the quick (UDP) channel. */
  quick?: boolean;
  /** Binary data to send beside the param. */
  data?: Buffer;
  /** Reply timeout of this call (ms). */
  timeout?: number;
}

/** A param with per-message options; build it with `VsoaRecordBuilder`. */
export class VsoaRecord<TParam = unknown> {
  constructor(
    readonly param: TParam,
    readonly options: VsoaRecordOptions = {},
  ) {}
}

/** Builds a VsoaRecord: `new VsoaRecordBuilder(param).setMethod('SET').setData(buf).build()`. */
export class VsoaRecordBuilder<TParam = unknown> {
  private options: VsoaRecordOptions = {};

  constructor(private param?: TParam) {}

  setParam(param: TParam): this {
    this.param = param;
    return this;
  }

  /**
   * `'GET'` / `'SET'` in any case, or `METHOD_GET` / `METHOD_SET`. Throws
   * `VsoaError('INVALID_ARGUMENT')` for anything else.
   */
  setMethod(method: VsoaMethodLike): this {
    this.options = { ...this.options, method: toMethod(method) };
    return this;
  }

  setQuick(quick = true): this {
    this.options = { ...this.options, quick };
    return this;
  }

  setData(data: Buffer): this {
    this.options = { ...this.options, data };
    return this;
  }

  setTimeout(ms: number): this {
    this.options = { ...this.options, timeout: ms };
    return this;
  }

  build(): VsoaRecord<TParam> {
    return new VsoaRecord(this.param as TParam, this.options);
  }
}
