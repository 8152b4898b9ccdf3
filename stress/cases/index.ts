/** Every stress case, in the order they run. */
import type { StressCase } from '../lib/case';
import { clientsCase } from './clients';
import { fuzzCase, fuzzNoWrapCase } from './fuzz';
import { handshakesCase } from './handshakes';
import { hostileCase } from './hostile';
import { longRunCase } from './long-run';
import { oversizeCase } from './oversize';
import { restartCase } from './restart';
import { slowSubscriberCase } from './slow-subscriber';
import { spoofedQuickCase } from './spoofed-quick';

export const CASES: readonly StressCase[] = [
  clientsCase,
  fuzzCase,
  fuzzNoWrapCase,
  oversizeCase,
  slowSubscriberCase,
  handshakesCase,
  restartCase,
  spoofedQuickCase,
  hostileCase,
  longRunCase,
];
