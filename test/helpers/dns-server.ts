/**
 * A real DNS server for the naming tests: dnsmasq (Debian's dnsmasq-base, which .ci/run
 * installs) on 127.0.0.1 and a free port, answering only the records it is given, and Node's
 * module-level resolver pointed at it for the test.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { getServers, setServers } from 'node:dns';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';

export interface SrvHost {
  /** The owner name, e.g. `_vsoa._tcp.lights.test`. */
  name: string;
  target: string;
  port: number;
  priority: number;
  weight: number;
}

export interface DnsRecords {
  srv?: SrvHost[];
  /** Host name → IPv4 address. */
  hosts?: Record<string, string>;
}

/**
 * A pool of replicas behind `name` (`_vsoa._tcp.<name>`): one SRV record per port, all of the same
 * priority and weight, each pointing at its own host `r<i>.<name>` on 127.0.0.1.
 */
export function poolRecords(name: string, ports: number[]): DnsRecords {
  return {
    srv: ports.map((port, i) => ({ name: `_vsoa._tcp.${name}`, target: `r${i}.${name}`, port, priority: 10, weight: 1 })),
    hosts: Object.fromEntries(ports.map((_, i) => [`r${i}.${name}`, '127.0.0.1'])),
  };
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A running dnsmasq; `stop()` ends it and gives Node its previous resolvers back. */
export class DnsServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly previous: string[],
  ) {}

  /**
   * Starts dnsmasq with `records` and points `dns.setServers()` at it once it answers. A port
   * taken meanwhile (it binds TCP too, and other tests pick ports at once) is replaced by another.
   */
  static async start(records: DnsRecords): Promise<DnsServer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await DnsServer.startOn(await freeUdpPort(), records);
      } catch (error) {
        if (attempt === 5 || !/Address already in use/.test((error as Error).message)) throw error;
      }
    }
  }

  private static async startOn(port: number, records: DnsRecords): Promise<DnsServer> {
    const args = [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--pid-file=',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${port}`,
      `--user=${userInfo().username}`,
      ...(records.srv ?? []).map((srv) => `--srv-host=${srv.name},${srv.target},${srv.port},${srv.priority},${srv.weight}`),
      ...Object.entries(records.hosts ?? {}).map(([host, address]) => `--host-record=${host},${address}`),
    ];
    // Debian installs it in /usr/sbin, which a non-root PATH may leave out.
    const binary = existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq';
    const child = spawn(binary, [...args, '--log-facility=-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    // It logs "started" once its sockets are bound: then it answers.
    const started = new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/started, version/.test(log)) resolve();
      });
      child.once('error', (error) => reject(new Error(`dnsmasq could not start (install dnsmasq-base): ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`dnsmasq exited ${code}: ${log.trim()}`)));
    });
    const timer = setTimeout(() => child.kill(), 5000);
    try {
      await started;
    } finally {
      clearTimeout(timer);
    }
    const server = new DnsServer(child, port, getServers());
    setServers([`127.0.0.1:${port}`]);
    return server;
  }

  async stop(): Promise<void> {
    setServers(this.previous);
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }
}
