import { Injectable } from '@nestjs/common';
import { VsoaPublisher } from '@vsoa/nestjs';

export interface LightState {
  on: boolean;
  brightness: number;
}

/** The vehicle light: one state, readable and settable over HTTP and VSOA, published on change. */
@Injectable()
export class LightService {
  private state: LightState = { on: false, brightness: 100 };

  constructor(private readonly publisher: VsoaPublisher) {}

  get(): LightState {
    return this.state;
  }

  set(change: Partial<LightState>): LightState {
    this.state = {
      on: typeof change.on === 'boolean' ? change.on : this.state.on,
      brightness: typeof change.brightness === 'number' ? Math.max(0, Math.min(100, change.brightness)) : this.state.brightness,
    };
    this.publisher.publish('/light', this.state);
    return this.state;
  }
}
