import { EventEmitter } from 'node:events';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { VsoaClient } from '@vsoa/core';
import { ClientVsoa, VsoaClientStatus } from '@vsoa/nestjs';
import { Subscription } from 'rxjs';
import { BRIDGE_VSOA } from './bridge.tokens';

/** `'subscribed'`: the server took a subscription (after every (re)connect). */
export interface VsoaLinkEvents {
  subscribed: [url: string];
}

/** The bridge's link to the VSOA server, as its ClientVsoa reports it (the robot keeps it). */
@Injectable()
export class VsoaLink extends EventEmitter<VsoaLinkEvents> implements OnApplicationShutdown {
  private linked = false;
  /** Subscriptions the server has taken on the current link. */
  private readonly active = new Set<string>();
  private readonly statusSubscription: Subscription;

  constructor(@Inject(BRIDGE_VSOA) readonly client: ClientVsoa) {
    super();
    this.statusSubscription = client.status.subscribe((status) => {
      this.linked = status === VsoaClientStatus.CONNECTED;
      if (!this.linked) this.active.clear();
    });
    client.on('subscribed', (url) => {
      this.active.add(url);
      this.emit('subscribed', url);
    });
  }

  /** Whether the server is linked now. */
  get connected(): boolean {
    return this.linked;
  }

  /** The URLs whose publishes flow now. */
  subscriptions(): string[] {
    return [...this.active];
  }

  /** The core client while the server is linked, for calls that carry status and data through as they are. */
  linkedClient(): VsoaClient | null {
    return this.linked ? this.client.unwrap<VsoaClient>() : null;
  }

  onApplicationShutdown(): void {
    this.statusSubscription.unsubscribe();
  }
}
