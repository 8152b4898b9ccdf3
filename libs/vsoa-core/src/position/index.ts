export { PositionServer } from './position-server';
export type { PositionServerEvents } from './position-server';
export { lookup, lookupAll, NAME_SOURCES_ENV } from '../naming/lookup';
export { SRV_NAME_ENV } from '../naming/dns-search';
export type { DnsSearch } from '../naming/dns-search';
export {
  lookupPosition,
  setPositionServer,
  parsePositionServerList,
  parsePositionFile,
  POSITION_SERVER_ENV,
  DEFAULT_POSITION_FILE,
} from './lookup';
export { AF_INET, AF_INET6, AF_UNSPEC, DEFAULT_POSITION_PORT, MAX_POSITION_MESSAGE_BYTES, toPositionEntry } from './position-types';
export type {
  PositionDomain,
  PositionEntry,
  PositionRecord,
  PositionQuery,
  PositionQueryHook,
  PositionAnswer,
  PositionServerOptions,
  PositionListenOptions,
  PositionServerCounters,
  PositionServerAddress,
  LookupOptions,
  NameSource,
} from './position-types';
export { parsePositionTable, answerQuery } from './position-table';
export type { PositionTable } from './position-table';
