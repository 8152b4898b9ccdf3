// examples/seed/timer-events.ts — the seed's Timer and EventEmitter: Node has both built in.
// Run: npm run build && node dist/examples/seed/timer-events.js
import { EventEmitter } from 'node:events';

/** timer = vsoa.Timer(); timer.start(1.5, func, args=(1, 2, 3)): a one-shot timer, in ms here. */
export function timerOnce(delay = 1500, print = console.log): NodeJS.Timeout {
  const func = (a: number, b: number, c: number): void => print('timer!', a, b, c); // def func(a, b, c): print('timer!', a, b, c)
  return setTimeout(func, delay, 1, 2, 3); // timer.start(1.5, func, args=(1, 2, 3)); interval > 0 would be setInterval; timer.stop() is clearTimeout
}

/** e = vsoa.EventEmitter(); e.add_listerner('test', func); e.emit('test') */
export function plainEmitter(print = console.log): boolean {
  const e = new EventEmitter();
  e.on('test', () => print('event catched!')); // e.add_listerner('test', func)
  return e.emit('test'); // e.emit('test'): true when a listener ran
}

/** class MyClass(vsoa.EventEmitter): self.on('test', self.on_test); MyClass().emit('test', args=(1, 2)) */
export class MyClass extends EventEmitter<{ test: [a: number, b: number] }> {
  constructor(private readonly print = console.log) {
    super(); // super().__init__()
    this.on('test', (a, b) => this.onTest(a, b)); // self.on('test', self.on_test)
  }

  onTest(a: number, b: number): void {
    this.print(a, b); // print(a, b)
  }
}

if (require.main === module) {
  timerOnce();
  plainEmitter();
  new MyClass().emit('test', 1, 2); // MyClass().emit('test', args=(1, 2))
}
