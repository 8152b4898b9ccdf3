/**
 * A real MQTT broker for the bridge tests: Mosquitto (Debian's `mosquitto`, which .ci/run
 * installs) on 127.0.0.1 and a free port, with its sessions persisted in a temporary directory so
 * that a restart keeps them, as a deployed broker does. Its log tells when it runs and which
 * subscriptions it has taken.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A running Mosquitto; `restart()` stops and starts it on the same port, `stop()` ends it. */
export class MqttBroker {
  private child: ChildProcess | null = null;
  private log = '';
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** `mqtt://127.0.0.1:<port>`. */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts a broker; a port taken meanwhile (other tests pick ports at once) is replaced by another. */
  static async start(): Promise<MqttBroker> {
    for (let attempt = 1; ; attempt++) {
      const broker = new MqttBroker(await freeTcpPort(), mkdtempSync(join(tmpdir(), 'vsoa-mqtt-')));
      try {
        await broker.run();
        return broker;
      } catch (error) {
        rmSync(broker.dir, { recursive: true, force: true });
        if (attempt === 5 || !/Address already in use/.test((error as Error).message)) throw error;
      }
    }
  }

  /** Resolves once the broker has taken a subscription to `filter` (as its log reports it). */
  subscribed(filter: string): Promise<void> {
    const seen = (): boolean => this.log.split('\n').some((line) => line.endsWith(` ${filter}`) && /\s[012]\s/.test(line));
    if (seen()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (!seen()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Stops the broker (saving its sessions) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.halt();
    await this.run();
  }

  /** Stops the broker, keeping its port and sessions for `resume()`. */
  async halt(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }

  /** Starts a halted broker again. */
  resume(): Promise<void> {
    return this.run();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(): Promise<void> {
    const config = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      config,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${this.dir}/`,
        // Run as root (a CI container), it would switch to the `mosquitto` user, who cannot write here.
        `user ${userInfo().username}`,
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        'log_type information',
        'log_type subscribe',
        '',
      ].join('\n'),
    );
    // Debian installs it in /usr/sbin, which a non-root PATH may leave out.
    const binary = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
    const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString();
        if (/mosquitto version \S+ running/.test(this.log)) resolve();
        for (const waiter of [...this.waiters]) waiter();
      });
      child.once('error', (error) => reject(new Error(`mosquitto did not start: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${this.log.trim()}`)));
    });
  }
}
