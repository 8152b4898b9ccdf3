/**
 * The default logger (silent unless NODE_DEBUG=vsoa) and the rate limit on warnings: at most
 * `perSecond` a second (10 unless told), the rest summed up when the next second begins. Time
 * runs on Jest's fake clock.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultLogger, RateLimitedWarn, VsoaLogger } from './logger';

/** A logger that keeps what it is given. */
function recorder(): VsoaLogger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return { warnings, debugs, warn: (message) => void warnings.push(message), debug: (message) => void debugs.push(message) };
}

describe('RateLimitedWarn', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes 10 warnings a second by default and drops the rest', () => {
    const logger = recorder();
    const warn = new RateLimitedWarn(logger);
    for (let i = 1; i <= 15; i++) warn.warn(`bad packet ${i}`);
    expect(logger.warnings).toEqual(Array.from({ length: 10 }, (_, i) => `bad packet ${i + 1}`));
    expect(logger.debugs).toEqual([]);
  });

  it('passes exactly perSecond warnings when told a number', () => {
    const logger = recorder();
    const warn = new RateLimitedWarn(logger, 2);
    warn.warn('a');
    warn.warn('b');
    warn.warn('c');
    expect(logger.warnings).toEqual(['a', 'b']);
  });

  it('says how many were suppressed when the next second begins, then passes again', () => {
    const logger = recorder();
    const warn = new RateLimitedWarn(logger, 2);
    for (const m of ['a', 'b', 'c', 'd', 'e']) warn.warn(m);
    // Still inside the first second: nothing more gets through, nothing is summed up yet.
    jest.advanceTimersByTime(999);
    warn.warn('f');
    expect(logger.warnings).toEqual(['a', 'b']);
    // One second after the first warning, a new window: the summary (c, d, e, f), then the warning.
    jest.advanceTimersByTime(1);
    warn.warn('g');
    warn.warn('h');
    warn.warn('i');
    expect(logger.warnings).toEqual(['a', 'b', '4 similar message(s) suppressed', 'g', 'h']);
    // A window in which nothing was suppressed has no summary.
    jest.advanceTimersByTime(1000);
    warn.warn('j');
    jest.advanceTimersByTime(1000);
    warn.warn('k');
    expect(logger.warnings).toEqual(['a', 'b', '4 similar message(s) suppressed', 'g', 'h', '1 similar message(s) suppressed', 'j', 'k']);
  });

  it('keeps a window a whole second long however often it is hit', () => {
    const logger = recorder();
    const warn = new RateLimitedWarn(logger, 1);
    warn.warn('first');
    jest.advanceTimersByTime(600);
    warn.warn('dropped');
    jest.advanceTimersByTime(300);
    warn.warn('dropped too');
    expect(logger.warnings).toEqual(['first']);
  });
});

describe('defaultLogger', () => {
  it('is silent without NODE_DEBUG, and writes debug and warn lines to stderr under NODE_DEBUG=vsoa', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      defaultLogger.debug('quiet');
      defaultLogger.warn('quiet too');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
    // NODE_DEBUG is read when a process starts: load this module in a child that has it set.
    const script = `
      const Module = require('node:module');
      const { transformFileSync } = require('@swc/core');
      const file = ${JSON.stringify(require.resolve('./logger'))};
      const { code } = transformFileSync(file, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      const m = new Module(file);
      m.filename = file;
      m.paths = Module._nodeModulePaths(require('node:path').dirname(file));
      m._compile(code, file);
      m.exports.defaultLogger.debug('a debug line');
      m.exports.defaultLogger.warn('a warning');
    `;
    const { stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_DEBUG: 'vsoa' },
      cwd: __dirname,
    });
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^VSOA \d+: a debug line$/),
      expect.stringMatching(/^VSOA \d+: a warning$/),
    ]);
  });
});
