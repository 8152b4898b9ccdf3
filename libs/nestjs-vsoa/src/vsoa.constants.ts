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
