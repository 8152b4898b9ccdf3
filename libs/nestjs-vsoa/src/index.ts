/** Transport id of the VSOA strategy, for `@MessagePattern('/x', VSOA_TRANSPORT)` in hybrid apps. */
export const VSOA_TRANSPORT = Symbol('VSOA_TRANSPORT');
