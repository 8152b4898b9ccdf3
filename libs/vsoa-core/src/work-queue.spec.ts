import { VsoaClient } from './client/client';
import { VsoaServer } from './server/server';
import type { CommandHandler } from './server/types';
import { WorkQueue } from './work-queue';

/** A promise with its resolver, to hold a job open until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('WorkQueue', () => {
  it('runs jobs one at a time, in the order they were added, async ones included', async () => {
    const queue = new WorkQueue();
    const log: string[] = [];
    const first = gate();
    queue.add(async () => {
      log.push('a:start');
      await first.promise;
      log.push('a:end');
    });
    queue.add(() => log.push('b'));
    queue.add(async () => {
      log.push('c:start');
      await Promise.resolve();
      log.push('c:end');
    });
    // Nothing runs inside add(): jobs start on a later tick.
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual(['a:start']);
    expect(queue.size).toBe(2);
    first.open();
    await queue.idle();
    expect(log).toEqual(['a:start', 'a:end', 'b', 'c:start', 'c:end']);
    expect(queue.busy).toBe(false);
  });

  it('reports a failing job and goes on with the next', async () => {
    const errors: unknown[] = [];
    const queue = new WorkQueue({ onError: (error) => errors.push(error) });
    const ran: string[] = [];
    queue.add(() => {
      throw new Error('sync boom');
    });
    queue.add(() => Promise.reject(new Error('async boom')));
    queue.add(() => ran.push('after'));
    await queue.idle();
    expect((errors as Error[]).map((e) => e.message)).toEqual(['sync boom', 'async boom']);
    expect(ran).toEqual(['after']);
  });

  it('logs a failed job as a warning by default, naming what it threw', async () => {
    const warnings: string[] = [];
    const queue = new WorkQueue({ logger: { debug: () => undefined, warn: (message) => warnings.push(message) } });
    queue.add(() => {
      throw new Error('device busy');
    });
    queue.add(() => Promise.reject('not an Error'));
    await queue.idle();
    expect(warnings).toEqual(['work queue job failed: device busy', 'work queue job failed: not an Error']);
  });

  it('idle() resolves at once on a queue with nothing to do', async () => {
    const queue = new WorkQueue();
    const first = await Promise.race([
      queue.idle().then(() => 'idle'),
      new Promise((resolve) => setImmediate(() => resolve('still waiting'))),
    ]);
    expect(first).toBe('idle');
  });

  it('removeAll drops the waiting jobs named, keeps the others in order, and says how many it dropped', async () => {
    const queue = new WorkQueue();
    const hold = gate();
    const ran: string[] = [];
    const job = (name: string) => (): number => ran.push(name);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(job);
    const blocker = (): Promise<void> => hold.promise;
    queue.add(blocker);
    for (const j of [a, b, c, d]) queue.add(j);
    await Promise.resolve();
    // The running job is not waiting: it is neither dropped nor counted.
    expect(queue.removeAll(new Set([b, d, blocker]))).toBe(2);
    expect(queue.size).toBe(2);
    expect(queue.isRunning(blocker)).toBe(true);
    expect(queue.isRunning(a)).toBe(false);
    hold.open();
    await queue.idle();
    expect(ran).toEqual(['a', 'c']);
  });

  it('clear drops every waiting job; the running one finishes', async () => {
    const queue = new WorkQueue();
    const hold = gate();
    const ran: string[] = [];
    queue.add(async () => {
      await hold.promise;
      ran.push('running');
    });
    queue.add(() => ran.push('waiting 1'));
    queue.add(() => ran.push('waiting 2'));
    await Promise.resolve();
    queue.clear();
    expect(queue.size).toBe(0);
    hold.open();
    await queue.idle();
    expect(ran).toEqual(['running']);
  });

  it('addIfAbsent, has and remove work on waiting jobs', async () => {
    const queue = new WorkQueue();
    const hold = gate();
    const started = gate();
    const blocker = (): Promise<void> => {
      started.open();
      return hold.promise;
    };
    const ran: string[] = [];
    const job = (): number => ran.push('job');
    queue.add(blocker);
    expect(queue.addIfAbsent(job)).toBe(true);
    expect(queue.addIfAbsent(job)).toBe(false);
    expect(queue.has(job)).toBe(true);
    await started.promise;
    // As the seed's is_queued: the running job is not queued, and may be queued again.
    expect(queue.isRunning(blocker)).toBe(true);
    expect(queue.has(blocker)).toBe(false);
    expect(queue.remove(job)).toBe(true);
    expect(queue.has(job)).toBe(false);
    expect(queue.remove(job)).toBe(false);
    queue.add(job);
    hold.open();
    await queue.idle();
    expect(ran).toEqual(['job']);
    expect(queue.has(blocker)).toBe(false);
  });
});

describe('server.command(url, handler, { workQueue })', () => {
  let server: VsoaServer;
  let client: VsoaClient;

  beforeEach(async () => {
    server = new VsoaServer();
    await server.listen({ host: '127.0.0.1', port: 0 });
    client = new VsoaClient({ timeout: 5000 });
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  /** A handler that logs its start and end around a few event-loop turns, then replies. */
  function slowHandler(log: string[], name: string): CommandHandler {
    return async (cli, req, payload) => {
      const tag = `${name}${payload.param as number}`;
      log.push(`${tag}+`);
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      log.push(`${tag}-`);
      cli.reply(req.seqno, { param: tag });
    };
  }

  /** True when some call started before the previous one ended. */
  function interleaved(log: string[]): boolean {
    return log.some((entry, i) => entry.endsWith('+') && i > 0 && log[i - 1].endsWith('+'));
  }

  it('never interleaves overlapping async handlers on one queue, and keeps arrival order', async () => {
    const queue = new WorkQueue();
    const log: string[] = [];
    server.command('/a', slowHandler(log, 'a'), { workQueue: queue });
    server.command('/b', slowHandler(log, 'b'), { workQueue: queue });
    const calls = [1, 2, 3].flatMap((n) => [client.fetch('/a', { payload: { param: n } }), client.fetch('/b', { payload: { param: n } })]);
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.payload.param)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    expect(interleaved(log)).toBe(false);
    expect(log.filter((e) => e.endsWith('+'))).toEqual(['a1+', 'b1+', 'a2+', 'b2+', 'a3+', 'b3+']);
  });

  it('lets handlers on two queues overlap', async () => {
    // /a finishes only once /b has started: with one queue between them this could never reply.
    let bStarted!: () => void;
    const started = new Promise<void>((resolve) => (bStarted = resolve));
    const log: string[] = [];
    server.command(
      '/a',
      async (cli, req) => {
        log.push('a+');
        await started;
        log.push('a-');
        cli.reply(req.seqno, { param: 'a' });
      },
      { workQueue: new WorkQueue() },
    );
    server.command(
      '/b',
      (cli, req) => {
        log.push('b+');
        bStarted();
        cli.reply(req.seqno, { param: 'b' });
      },
      { workQueue: new WorkQueue() },
    );
    const replies = await Promise.all([client.fetch('/a', { timeout: 2000 }), client.fetch('/b', { timeout: 2000 })]);
    expect(replies.map((reply) => reply.payload.param)).toEqual(['a', 'b']);
    expect(log).toEqual(['a+', 'b+', 'a-']);
  });

  it('answers a failing queued handler with its status and keeps the queue going', async () => {
    const queue = new WorkQueue();
    server.command(
      '/fail',
      () => {
        throw Object.assign(new Error('no such device'), { status: 130 });
      },
      { workQueue: queue },
    );
    server.command('/ok', (cli, req) => cli.reply(req.seqno, { param: 'fine' }), { workQueue: queue });
    const [failed, ok] = await Promise.all([client.fetch('/fail'), client.fetch('/ok')]);
    expect(failed.status).toBe(130);
    expect(failed.payload.param).toEqual({ error: 'no such device' });
    expect(ok.status).toBe(0);
    expect(ok.payload.param).toBe('fine');
  });
});
