/** Transport id of the VSOA strategy, for `@MessagePattern('/x', VSOA_TRANSPORT)` in hybrid apps. */
export const VSOA_TRANSPORT = Symbol('VSOA_TRANSPORT');

/** Lifecycle of the VSOA server strategy, as its `status` observable reports it. */
export const VsoaServerStatus = {
  LISTENING: 'listening',
  CLOSED: 'closed',
} as const;
export type VsoaServerStatus = (typeof VsoaServerStatus)[keyof typeof VsoaServerStatus];

/** Link state of a ClientVsoa, as its `status` observable reports it. */
export const VsoaClientStatus = {
  CONNECTED: 'connected',
  DISCONNECTED: 'disconnected',
  RECONNECTING: 'reconnecting',
} as const;
export type VsoaClientStatus = (typeof VsoaClientStatus)[keyof typeof VsoaClientStatus];

/**
 * Transport id of the subscriber strategy, for `@EventPattern('/x', VSOA_SUBSCRIBER_TRANSPORT)`
 * in an app that also serves VSOA (or speaks another transport).
 */
export const VSOA_SUBSCRIBER_TRANSPORT = Symbol('VSOA_SUBSCRIBER_TRANSPORT');

/** Link state of a VsoaSubscriberStrategy, as its `status` observable reports it. */
export const VsoaSubscriberStatus = {
  /** Every upstream is linked. */
  CONNECTED: 'connected',
  /** Some upstream is not linked (yet, or any more); its robot is trying. */
  RECONNECTING: 'reconnecting',
  /** Closed. */
  DISCONNECTED: 'disconnected',
} as const;
export type VsoaSubscriberStatus = (typeof VsoaSubscriberStatus)[keyof typeof VsoaSubscriberStatus];
