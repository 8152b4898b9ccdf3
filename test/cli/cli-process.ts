/**
 * Runs the `vsoa` CLI as a child process: builds it once into a temporary directory, then spawns
 * `node main.js …` and lets a test await output lines and the exit.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

/**
 * Set by `npm run test:coverage`: a directory where the CLI's child processes leave their V8
 * coverage (NODE_V8_COVERAGE), merged afterwards with Jest's. The CLI is then built with source
 * maps, so the coverage maps back to its TypeScript.
 */
const CHILD_COVERAGE = process.env.VSOA_CHILD_COVERAGE;

/**
 * Compiles a project with its own tsconfig into `outDir` under `out` (type checking is `npm run
 * typecheck`'s job, so `--noCheck` keeps this to about a second).
 */
export function compileProject(project: string, out: string, outDir: string): Promise<unknown> {
  const tsc = require.resolve('typescript/bin/tsc');
  const maps = CHILD_COVERAGE ? 'true' : 'false';
  const flags = ['--noCheck', '--declaration', 'false', '--sourceMap', maps, '--inlineSources', maps];
  return promisify(execFile)(process.execPath, [tsc, '-p', project, '--outDir', join(out, outDir), ...flags], { cwd: ROOT });
}

/**
 * Compiles the core and the CLI into a fresh directory laid out like dist/, and links
 * `@vsoa/core` there as scripts/link-dist.js does. Returns the path of main.js.
 */
export async function buildCli(): Promise<{ main: string; dispose: () => void }> {
  const out = mkdtempSync(join(tmpdir(), 'vsoa-cli-'));
  await Promise.all([
    compileProject('libs/vsoa-core/tsconfig.lib.json', out, 'libs/vsoa-core'),
    compileProject('apps/cli/tsconfig.json', out, 'apps/cli'),
  ]);
  const link = join(out, 'node_modules', '@vsoa', 'core');
  mkdirSync(link, { recursive: true });
  writeFileSync(join(link, 'package.json'), JSON.stringify({ name: '@vsoa/core', main: '../../../libs/vsoa-core/index.js' }));
  // `vsoa ui`: its page (not compiled, copied as the build does) and uPlot, which it serves.
  cpSync(join(ROOT, 'apps/cli/src/explorer/page'), join(out, 'apps/cli/explorer/page'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', 'uplot'), join(out, 'node_modules', 'uplot'), 'dir');
  // Under coverage the build stays until the report has read its source maps.
  const dispose = (): void => {
    if (!CHILD_COVERAGE) rmSync(out, { recursive: true, force: true });
  };
  return { main: join(out, 'apps', 'cli', 'main.js'), dispose };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Channel = 'stdout' | 'stderr';

/** A running CLI: its output so far, lines to wait for, and its exit. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly output: Record<Channel, string> = { stdout: '', stderr: '' };
  private readonly stdoutChunks: Buffer[] = [];
  private readonly lines = new EventEmitter();
  private readonly exited: Promise<CliResult>;

  constructor(main: string, args: string[], options: { input?: string | Buffer; cwd?: string } = {}) {
    this.child = spawn(process.execPath, [main, ...args], {
      cwd: options.cwd,
      stdio: 'pipe',
      env: { ...process.env, NODE_DEBUG: '', NODE_V8_COVERAGE: CHILD_COVERAGE },
    });
    for (const channel of ['stdout', 'stderr'] as const) {
      let partial = '';
      const decoder = new StringDecoder('utf8');
      this.child[channel]!.on('data', (chunk: Buffer) => {
        if (channel === 'stdout') this.stdoutChunks.push(chunk);
        const text = decoder.write(chunk);
        this.output[channel] += text;
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        for (const line of lines) this.lines.emit(channel, line);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: this.output.stdout, stderr: this.output.stderr }));
    });
    this.exited.then(() => this.lines.emit('exit'));
    this.child.stdin!.end(options.input);
  }

  /** Everything written to stdout so far, as bytes. */
  stdoutBytes(): Buffer {
    return Buffer.concat(this.stdoutChunks);
  }

  /** Complete lines written so far. */
  linesOf(channel: Channel): string[] {
    const text = this.output[channel];
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .slice(0, -1);
  }

  /**
   * Resolves with the first line of `channel`, already written or to come, that matches
   * `pattern`; rejects if the process exits first or after `ms`.
   */
  waitForLine(channel: Channel, pattern: RegExp, ms = 5000): Promise<RegExpMatchArray> {
    const seen = this.linesOf(channel)
      .map((line) => line.match(pattern))
      .find((match) => match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.lines.off(channel, onLine);
        this.lines.off('exit', onExit);
      };
      const fail = (why: string): void => {
        cleanup();
        reject(new Error(`no ${channel} line matching ${pattern} (${why}); stdout: ${this.output.stdout} stderr: ${this.output.stderr}`));
      };
      const timer = setTimeout(() => fail(`${ms} ms passed`), ms);
      const onExit = (): void => fail('the process exited');
      const onLine = (line: string): void => {
        const match = line.match(pattern);
        if (!match) return;
        cleanup();
        resolve(match);
      };
      this.lines.on(channel, onLine);
      this.lines.on('exit', onExit);
    });
  }

  /** Resolves when the process has exited; kills it and rejects after `ms`. */
  exit(ms = 8000): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`still running after ${ms} ms; stdout: ${this.output.stdout} stderr: ${this.output.stderr}`));
      }, ms);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  /** Sends `signal` and resolves with how the process ended. */
  stop(signal: NodeJS.Signals = 'SIGINT'): Promise<CliResult> {
    this.child.kill(signal);
    return this.exit();
  }

  /** Kills it if still running (for teardowns). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
