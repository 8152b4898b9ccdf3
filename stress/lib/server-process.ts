/**
 * A server under test in its own child process: started, asked for its stats over IPC, killed and
 * watched, so that a crash is a result and its memory is its own.
 */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { RequestMessage, RequestType, ServerConfig, ServerMessage, ServerRequests, ServerStats, Target } from './ipc';
import { within } from './time';

/** How a server process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const SCRIPTS: Record<Target, string> = { ours: 'server.js', official: 'official-server.js' };
/** Lines of stderr kept for a crash report. */
const TAIL_LINES = 5;

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export class ServerProcess {
  /** How the process ended, once it has. */
  exit: ExitInfo | null = null;
  /** Lines the server wrote to stderr (its log). */
  logLines = 0;
  /** Set when the harness killed it (a death that is not a finding). */
  killed = false;
  readonly exited: Promise<ExitInfo>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly tail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly quickPort: number,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.onLog(text));
    child.on('message', (message: ServerMessage) => this.onMessage(message));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        for (const call of this.pending.values()) call.reject(new Error(`server ${describeExit(this.exit)}`));
        this.pending.clear();
        resolve(this.exit);
      }),
    );
  }

  /** Forks the server for `target` and resolves once it listens. */
  static async start(target: Target, config: ServerConfig): Promise<ServerProcess> {
    const child = fork(join(__dirname, '..', SCRIPTS[target]), [JSON.stringify(config)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let log = '';
    const keepLog = (text: Buffer): void => void (log += text.toString());
    child.stderr?.on('data', keepLog);
    const ready = new Promise<{ port: number; quickPort: number }>((resolve, reject) => {
      child.on('message', (message: ServerMessage) => {
        if (message.type === 'ready') resolve(message);
      });
      child.once('exit', (code, signal) => reject(new Error(`server ${describeExit({ code, signal })} before listening: ${log.trim()}`)));
    });
    const { port, quickPort } = await within(ready, 10_000, `${target} server to listen`);
    child.stderr?.off('data', keepLog);
    return new ServerProcess(child, port, quickPort);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** The last lines of its stderr (for a crash report). */
  lastLog(): string[] {
    return [...this.tail];
  }

  /** Sends a request and resolves with its result; rejects if the server dies first. */
  request<K extends RequestType>(type: K, args: ServerRequests[K]['args'], ms = 60_000): Promise<ServerRequests[K]['result']> {
    if (this.exit) return Promise.reject(new Error(`server ${describeExit(this.exit)}`));
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.child.send({ id, type, args } as RequestMessage);
    return within(promise, ms, `server to answer ${type}`) as Promise<ServerRequests[K]['result']>;
  }

  /** Its memory, counters and handles; `gc` collects garbage first. */
  stats(gc = false): Promise<ServerStats> {
    return this.request('stats', { gc });
  }

  /** Sends `signal` and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    if (!this.exit) {
      this.killed = true;
      this.child.kill(signal);
    }
    return this.exited;
  }

  private onMessage(message: ServerMessage): void {
    if (message.type === 'ready') return;
    const call = this.pending.get(message.id);
    if (!call) return;
    this.pending.delete(message.id);
    if (message.type === 'reply') call.resolve(message.result);
    else call.reject(new Error(message.error));
  }

  private onLog(text: string): void {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      this.logLines++;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    }
  }
}
