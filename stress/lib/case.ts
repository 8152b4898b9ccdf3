/** What a stress case is, what it is given and what it returns. */
import type { ServerConfig, Target } from './ipc';
import type { ServerProcess } from './server-process';

export interface CaseContext {
  target: Target;
  /** Scaled-down run (CI). */
  smoke: boolean;
  /** Starts a server for this case; the runner stops it afterwards and reports it if it died. */
  startServer(config?: Partial<ServerConfig>): Promise<ServerProcess>;
  /** A progress line (stderr), for long cases. */
  progress(message: string): void;
}

export interface CaseOutcome {
  /** The case's figure, one short line. */
  figure: string;
  /** What did not hold; empty when the case passed. */
  failures: string[];
  /** Further findings worth a line in the report. */
  notes: string[];
}

export interface StressCase {
  /** Short name, as given to `--only`. */
  id: string;
  /** Title at the given scale. */
  title(smoke: boolean): string;
  /** The targets it applies to. */
  targets: readonly Target[];
  /** Bound on its run time at full scale (ms); the runner fails it after that. */
  timeout: number;
  run(ctx: CaseContext): Promise<CaseOutcome>;
}

/** Collects a case's failures and notes as it goes. */
export class Findings {
  readonly failures: string[] = [];
  readonly notes: string[] = [];

  /** Records `message` as a failure unless `ok`; returns `ok`. */
  check(ok: boolean, message: string): boolean {
    if (!ok) this.failures.push(message);
    return ok;
  }

  fail(message: string): void {
    this.failures.push(message);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  outcome(figure: string): CaseOutcome {
    return { figure, failures: this.failures, notes: this.notes };
  }
}
