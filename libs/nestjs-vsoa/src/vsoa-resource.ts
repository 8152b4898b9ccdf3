import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { safeAssign, VsoaStatus } from '@vsoa/core';
import type { VsoaPayload } from '@vsoa/core';
import { VsoaServerStrategy } from './vsoa.server';

const VSOA_RESOURCE = Symbol('vsoa:resource');

interface ResourceMeta {
  url: string;
  key: string | symbol;
  /** Name of the instance method that applies a SET. */
  set?: string;
}

/**
 * Serves a class property as a VSOA resource: GET answers its value; SET applies the param and
 * publishes the new value on `url`. Without `set`, an object param is merged into an object
 * value and anything else replaces it; with `set: 'method'`, that method applies the param and
 * may return a status (2–6, 128–255) to refuse it.
 *
 * ```ts
 * @Injectable() class Light {
 *   @VsoaResource('/light', { set: 'apply' }) state = { on: false };
 *   apply(param: unknown) { if (typeof param !== 'object') return VsoaStatus.ARGUMENTS; safeAssign(this.state, param); }
 * }
 * ```
 */
export function VsoaResource(url: string, options: { set?: string } = {}): PropertyDecorator {
  return (target, key) => {
    const list = (Reflect.getMetadata(VSOA_RESOURCE, target) as ResourceMeta[] | undefined) ?? [];
    Reflect.defineMetadata(VSOA_RESOURCE, [...list, { url, key, set: options.set }], target);
  };
}

/** Finds `@VsoaResource` properties on providers and controllers and serves them. */
@Injectable()
export class VsoaResourceExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly strategy: VsoaServerStrategy,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const metas = Reflect.getMetadata(VSOA_RESOURCE, Object.getPrototypeOf(instance) as object) as ResourceMeta[] | undefined;
      for (const meta of metas ?? []) this.serve(instance as Record<string | symbol, unknown>, meta);
    }
  }

  private serve(instance: Record<string | symbol, unknown>, meta: ResourceMeta): void {
    const setter = meta.set === undefined ? undefined : instance[meta.set];
    if (meta.set !== undefined && typeof setter !== 'function') {
      throw new Error(`@VsoaResource('${meta.url}'): ${String(meta.set)} is not a method of ${instance.constructor.name}`);
    }
    this.strategy.resource(meta.url, {
      get: () => instance[meta.key],
      set: setter
        ? (param: unknown, payload: VsoaPayload) =>
            (setter as (p: unknown, pl: VsoaPayload) => number | void).call(instance, param, payload)
        : (param: unknown) => replaceOrMerge(instance, meta.key, param),
    });
  }
}

function replaceOrMerge(instance: Record<string | symbol, unknown>, key: string | symbol, param: unknown): number {
  const value = instance[key];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(value) && isObject(param)) safeAssign(value, param);
  else if (isObject(value)) return VsoaStatus.ARGUMENTS;
  else instance[key] = param;
  return 0;
}
