// examples/seed/work-queue.ts — the seed's work queue examples, ported line by line.
// Run: npm run build && node dist/examples/seed/work-queue.js
import { VsoaServer, WorkQueue } from '@vsoa/core';

/** wq.add(hello, args=(n,)) for 1, 2, 3: the jobs run one after another, in order. */
export async function helloJobs(print = console.log): Promise<void> {
  const wq = new WorkQueue(); // wq = vsoa.WorkQueue()
  const hello = (count: number): void => print('Hello count:', count); // def hello(count): print('Hello count:', count)
  for (const count of [1, 2, 3]) wq.add(() => hello(count)); // wq.add(hello, args=(1,)) …
  await wq.idle(); // no worker thread to join: wait for the queue to empty
}

/** A command that runs on the queue: @app.command('/hello', wq). */
export async function helloServer(host = '0.0.0.0', port = 3005): Promise<VsoaServer> {
  const app = new VsoaServer({ info: 'hello' }); // app = vsoa.Server('hello')
  const wq = new WorkQueue(); // wq = vsoa.WorkQueue()

  // @app.command('/hello', wq)
  app.command('/hello', (cli, request, payload) => cli.reply(request.seqno, payload), { workQueue: wq });

  await app.listen({ host, port }); // app.run('0.0.0.0', 3005)
  return app;
}

if (require.main === module) void helloJobs();
