/** Injection tokens of the bridge. */
export const BRIDGE_CONFIG = Symbol('BRIDGE_CONFIG');
/** The topic prefix in use (configured, or learnt from the server's info). */
export const BRIDGE_PREFIX = Symbol('BRIDGE_PREFIX');
/** The ClientMqtt the bridge publishes with. */
export const BRIDGE_MQTT = Symbol('BRIDGE_MQTT');
/** The ClientVsoa linked to the VSOA server. */
export const BRIDGE_VSOA = Symbol('BRIDGE_VSOA');
