import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { VsoaClient, VsoaError, VsoaReplicas, type ConnectOptions } from '@vsoa/core';
import { ClientVsoa } from '../client-vsoa';

/** Options of a VSOA health check. */
export interface VsoaHealthCheckOptions extends Omit<ConnectOptions, 'timeout'> {
  /** Time allowed for the whole check: connect and ping for a URL, the ping alone for a link (ms). Default 1000. */
  timeout?: number;
}

/**
 * What a check probes: a server URL (`vsoa://host:port` or `vsoa://name`, connected for the
 * check and closed after it), or the link of a `ClientVsoa` or `VsoaClient` already in use.
 */
export type VsoaHealthTarget = string | ClientVsoa | VsoaClient;

/** The data of a check that passed: the ping round trip in ms. */
export type VsoaHealthUp = {
  rtt: number;
};

/** The data of a check that failed: why, and the error code when the library gave one. */
export type VsoaHealthDown = {
  message: string;
  code?: string;
};

const DEFAULT_TIMEOUT = 1000;

/**
 * Health indicator for `@nestjs/terminus`: pings a VSOA server and reports `up` with the round
 * trip (`rtt`, ms) or `down` with the reason. It never throws; Terminus turns a `down` into 503.
 *
 * ```ts
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [VsoaHealthIndicator] })
 * // in the controller:
 * return this.health.check([() => this.vsoa.pingCheck('vsoa', 'vsoa://127.0.0.1:3005')]);
 * ```
 */
@Injectable()
export class VsoaHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  /**
   * Checks a server by URL (one connection per check, then closed), or pings through a client's
   * link (a `ClientVsoa` that is not connected yet, or whose link is down, is `down`).
   */
  async pingCheck<const Key extends string>(
    key: Key,
    target: VsoaHealthTarget,
    options: VsoaHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    try {
      const rtt = typeof target === 'string' ? await probeUrl(target, options, timeout) : await linkOf(target).ping(timeout);
      return indicator.up<VsoaHealthUp>({ rtt: Math.round(rtt * 100) / 100 });
    } catch (error) {
      return indicator.down<VsoaHealthDown>(describe(error));
    }
  }
}

/** Connects, pings and closes, all within `timeout`; resolves with the ping round trip. */
async function probeUrl(url: string, options: VsoaHealthCheckOptions, timeout: number): Promise<number> {
  const { timeout: _timeout, ...connectOptions } = options;
  const client = new VsoaClient({ timeout });
  const deadline = Date.now() + timeout;
  const probe = (async () => {
    await client.connect(url, { ...connectOptions, timeout });
    return client.ping(Math.max(1, deadline - Date.now()));
  })();
  // Closed once settled, even when the timer won: a late connect must not leave a link open.
  const close = (): Promise<void> => client.close();
  probe.then(close, close);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new VsoaError('TIMEOUT', `no answer within ${timeout} ms`)), timeout);
  });
  try {
    return await Promise.race([probe, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The core client behind a target that is not a URL (with round-robin, the next linked replica's). */
function linkOf(target: ClientVsoa | VsoaClient): VsoaClient {
  if (!(target instanceof ClientVsoa)) return target;
  let link: VsoaClient | VsoaReplicas;
  try {
    link = target.unwrap<VsoaClient | VsoaReplicas>();
  } catch {
    throw new VsoaError('NOT_CONNECTED', 'ClientVsoa not connected yet');
  }
  if (!(link instanceof VsoaReplicas)) return link;
  const replica = link.pick();
  if (!replica) throw new VsoaError('NOT_CONNECTED', 'no replica of the ClientVsoa is linked');
  return replica;
}

function describe(error: unknown): VsoaHealthDown {
  if (error instanceof VsoaError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}
