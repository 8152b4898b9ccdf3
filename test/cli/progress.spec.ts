/** The progress line of `vsoa stream`. */
import { formatBytes, ProgressMeter } from '../../apps/cli/src/progress';

const MiB = 1024 * 1024;

function terminal(): { write(text: string): boolean; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('shows bytes, percentage, rate and ETA when the total is known', () => {
  const tty = terminal();
  const meter = new ProgressMeter(2 * MiB, tty);
  meter.write(Buffer.alloc(MiB));
  jest.advanceTimersByTime(1000);
  expect(tty.text.split('\r').pop()).toBe('1.0 MiB of 2.0 MiB (50%)  1.0 MiB/s  ETA 1 s\x1b[K');
  meter.finish();
  expect(tty.text.endsWith('\r1.0 MiB in 1.0 s (1.0 MiB/s)\x1b[K\n')).toBe(true);
});

it('says the ETA is unknown without a total', () => {
  const tty = terminal();
  const meter = new ProgressMeter(undefined, tty);
  meter.write(Buffer.alloc(512));
  jest.advanceTimersByTime(500);
  expect(tty.text.split('\r').pop()).toBe('512 B  1.0 KiB/s  ETA unknown\x1b[K');
  meter.finish();
});

it('writes nothing without a terminal, but still counts', () => {
  const meter = new ProgressMeter(10, null);
  meter.write(Buffer.alloc(7));
  meter.finish();
  expect(meter.bytes).toBe(7);
});

it('formats sizes in binary units', () => {
  expect([0, 1023, 1024, 1536 * 1024, 3 * 1024 * MiB].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 MiB', '3.0 GiB']);
});
