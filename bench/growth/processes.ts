/** The driver's side of the growth processes: forking them and asking them things over IPC. */
import { ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FromClients, FromServer, GrowthImpl, ServerJob, ToClients, ToServer } from './messages';

/** A forked child and its messages: `M` what it says, `T` what it is told. */
export class Child<M extends { type: string }, T> {
  private constructor(readonly process: ChildProcess) {}

  static fork<M extends { type: string }, T>(script: string, env: Record<string, string> = {}, execArgv: string[] = []): Child<M, T> {
    return new Child(
      fork(join(__dirname, script), [], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } }),
    );
  }

  /** Sends `message` (if any), then waits for the next message of `type`; rejects on an error message or exit. */
  ask<K extends M['type']>(message: T | undefined, type: K, ms: number): Promise<Extract<M, { type: K }>> {
    const child = this.process;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no '${type}' from ${child.spawnargs.at(-1)} within ${ms} ms`)), ms);
      const onMessage = (reply: M): void => {
        if (reply.type === 'error') finish(new Error((reply as M & { message: string }).message));
        else if (reply.type === type) finish(undefined, reply as Extract<M, { type: K }>);
      };
      const onExit = (code: number | null): void => finish(new Error(`${child.spawnargs.at(-1)} exited (${code}) before '${type}'`));
      const finish = (error?: Error, reply?: Extract<M, { type: K }>): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (message !== undefined) child.send(message as object);
    });
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }
}

export type ServerChild = Child<FromServer, ToServer>;
export type ClientsChild = Child<FromClients, ToClients>;

/** Starts a fresh server process (with --expose-gc, for the memory figures); resolves once it listens. */
export async function startServer(impl: GrowthImpl, job: ServerJob): Promise<{ server: ServerChild; port: number; registerMs: number }> {
  const server = Child.fork<FromServer, ToServer>(`server-${impl}.js`, { GROWTH_JOB: JSON.stringify(job) }, ['--expose-gc']);
  try {
    const { port, registerMs } = await server.ask(undefined, 'ready', 120_000);
    return { server, port, registerMs };
  } catch (error) {
    server.kill();
    throw error;
  }
}

export function startClients(): ClientsChild {
  return Child.fork<FromClients, ToClients>('clients.js');
}

/**
 * This process's limit on open files (Node raises the soft limit to the hard one at start-up, and
 * children inherit it); 1024 when it cannot be read.
 */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    return soft === 'unlimited' ? Infinity : Number(soft) || 1024;
  } catch {
    return 1024;
  }
}
