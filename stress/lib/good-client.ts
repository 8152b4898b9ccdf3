/** A well-behaved client that calls /echo every few ms while a case attacks the server. */
import type { ConnectionOptions } from 'node:tls';
import { VsoaClient } from '@vsoa/core';
import { sleep } from './time';

/** A call slower than this counts as failed. */
const CALL_TIMEOUT = 2000;

export class GoodClient {
  calls = 0;
  readonly failures: string[] = [];
  /** Slowest call (ms). */
  slowest = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  private constructor(readonly client: VsoaClient) {}

  static async connect(port: number, passwd?: string, tls?: ConnectionOptions): Promise<GoodClient> {
    const client = new VsoaClient({ timeout: CALL_TIMEOUT });
    await client.connect(`vsoa://127.0.0.1:${port}`, { passwd, tls });
    return new GoodClient(client);
  }

  /** Calls every `period` ms until `stop()`. */
  start(period = 10): void {
    this.loop = this.run(period);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client.close();
  }

  private async run(period: number): Promise<void> {
    while (!this.stopped) {
      const start = performance.now();
      await this.call();
      const took = performance.now() - start;
      this.slowest = Math.max(this.slowest, took);
      if (took < period) await sleep(period - took);
    }
  }

  private async call(): Promise<void> {
    const n = this.calls++;
    const data = Buffer.from(`good-${n}`);
    try {
      const reply = await this.client.fetch('/echo', { method: 'SET', payload: { param: { n }, data } });
      const param = reply.payload.param as { n?: unknown } | undefined;
      if (reply.status !== 0 || param?.n !== n || !data.equals(reply.payload.data ?? Buffer.alloc(0))) {
        this.failures.push(`call ${n}: wrong reply (status ${reply.status})`);
      }
    } catch (error) {
      this.failures.push(`call ${n}: ${(error as Error).message}`);
    }
  }
}
