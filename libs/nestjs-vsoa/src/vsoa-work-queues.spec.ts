import { VsoaWorkQueues } from './vsoa-work-queues';

describe('VsoaWorkQueues', () => {
  it('gives one queue per name, and idle() waits for the jobs of every queue', async () => {
    const queues = new VsoaWorkQueues();
    expect(queues.get('a')).toBe(queues.get('a'));
    expect(queues.get('a')).not.toBe(queues.get('b'));
    const done: string[] = [];
    const later = (name: string): Promise<void> =>
      new Promise((resolve) =>
        setImmediate(() => {
          done.push(name);
          resolve();
        }),
      );
    queues.get('a').add(() => later('a1'));
    queues.get('a').add(() => later('a2'));
    queues.get('b').add(() => later('b1'));
    await queues.idle();
    expect(done.sort()).toEqual(['a1', 'a2', 'b1']);
  });

  it('reports a failed job to its logger', async () => {
    const warnings: string[] = [];
    const queues = new VsoaWorkQueues({ debug: () => undefined, warn: (message) => warnings.push(message) });
    queues.get('a').add(() => Promise.reject(new Error('jammed')));
    await queues.idle();
    expect(warnings).toEqual(['work queue job failed: jammed']);
  });
});
