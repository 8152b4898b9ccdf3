import { Injectable } from '@nestjs/common';
import { VsoaStatus } from '@vsoa/core';
import { VsoaPublisher, VsoaResource } from '@vsoa/nestjs';

export interface LightState {
  on: boolean;
  brightness: number;
}

/**
 * The vehicle light: one state, readable and settable over HTTP and VSOA, published on change.
 * Over VSOA it is a resource: GET /light answers it, SET /light goes through `apply` and the new
 * state is published on /light.
 */
@Injectable()
export class LightService {
  @VsoaResource('/light', { set: 'apply' })
  private state: LightState = { on: false, brightness: 100 };

  constructor(private readonly publisher: VsoaPublisher) {}

  get(): LightState {
    return this.state;
  }

  /** A change from HTTP: applied, then published like a VSOA SET. */
  set(change: Partial<LightState>): LightState {
    this.apply(change);
    this.publisher.publish('/light', this.state);
    return this.state;
  }

  /** Applies a change; refuses anything but an object (the resource then answers ARGUMENTS). */
  apply(change: unknown): number | void {
    if (typeof change !== 'object' || change === null || Array.isArray(change)) return VsoaStatus.ARGUMENTS;
    const { on, brightness } = change as Partial<LightState>;
    this.state.on = typeof on === 'boolean' ? on : this.state.on;
    this.state.brightness = typeof brightness === 'number' ? Math.max(0, Math.min(100, brightness)) : this.state.brightness;
  }
}
