/** The growth benchmark's figures, and its tables: one per measurement, both servers, ratios. */
import { formatRatio, formatValue, median, table } from '../stats';
import type { GrowthImpl } from './messages';
import { FANOUT, IN_FLIGHT, MeasurementName, Sizes } from './plan';

/** Every run's figure by key (`what|impl|size`), plus a note (why a size is missing, what was received). */
export class Figures {
  private readonly values = new Map<string, number[]>();
  private readonly notes = new Map<string, string>();
  /** What was added since the last `takeFresh()`, for the progress line. */
  private fresh: string[] = [];

  add(key: string, value: number): void {
    this.values.set(key, [...(this.values.get(key) ?? []), value]);
    this.fresh.push(`${key.split('|')[0]} ${value.toFixed(2)}`);
  }

  takeFresh(): string {
    return this.fresh.splice(0).join(', ');
  }

  note(key: string, text: string): void {
    this.notes.set(key, text);
  }

  median(key: string): number {
    return median(this.values.get(key) ?? []);
  }

  noteOf(key: string): string {
    return this.notes.get(key) ?? '';
  }
}

/** µs with a precision that suits their size. */
function micros(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function kib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : '–';
}

/** Columns for one cost per size and implementation: the cost and its ratio to the smallest size. */
function growthColumns(figures: Figures, what: string, impls: GrowthImpl[], sizes: number[], size: number): string[] {
  return impls.flatMap((impl) => {
    const value = figures.median(`${what}|${impl}|${size}`);
    return [micros(value), formatRatio(value, figures.median(`${what}|${impl}|${sizes[0]}`))];
  });
}

function notes(figures: Figures, what: string, impls: GrowthImpl[], size: number | string): string {
  return impls
    .map((impl) => figures.noteOf(`${what}|${impl}|${size}|why`) && `${impl} ${figures.noteOf(`${what}|${impl}|${size}|why`)}`)
    .filter(Boolean)
    .join('; ');
}

/** A table without the columns that are empty in every row (the notes, usually). */
function compactTable(head: string[], rows: string[][]): string {
  const keep = head.map((_, i) => rows.some((row) => row[i] !== ''));
  const pick = (cells: string[]): string[] => cells.filter((_, i) => keep[i]);
  return table(pick(head), rows.map(pick));
}

export function report(figures: Figures, impls: GrowthImpl[], measurements: MeasurementName[], sizes: Sizes): void {
  const head = (label: string): string[] => impls.flatMap((impl) => [`${impl} ${label}`, `${impl} ×`]);
  if (measurements.includes('clients')) {
    console.log(`\n1. publish to 1 subscriber vs connected clients (µs per publish; × = against ${sizes.clients[0]} clients)\n`);
    console.log(
      compactTable(
        ['clients', ...head('µs'), ...impls.map((impl) => `${impl} received`), 'note'],
        sizes.clients.map((n) => [
          formatValue(n, ''),
          ...growthColumns(figures, 'clients', impls, sizes.clients, n),
          ...impls.map((impl) => figures.noteOf(`clients|${impl}|${n}`)),
          notes(figures, 'clients', impls, n),
        ]),
      ),
    );
  }
  if (measurements.includes('commands')) {
    console.log(
      `\n2. calls to a prefix command vs registered commands (${IN_FLIGHT} in flight; server CPU µs per call; × = against ${sizes.commands[0]})\n`,
    );
    console.log(
      compactTable(
        [
          'commands',
          ...impls.flatMap((impl) => [`${impl} calls/s`, `${impl} µs/call`, `${impl} ×`]),
          ...impls.map((impl) => `${impl} register ms`),
          'note',
        ],
        sizes.commands.map((m) => [
          formatValue(m, ''),
          ...impls.flatMap((impl) => {
            const cpu = figures.median(`cpu|${impl}|${m}`);
            return [
              formatValue(figures.median(`calls|${impl}|${m}`), ''),
              micros(cpu),
              formatRatio(cpu, figures.median(`cpu|${impl}|${sizes.commands[0]}`)),
            ];
          }),
          ...impls.map((impl) => micros(figures.median(`register|${impl}|${m}`))),
          notes(figures, 'commands', impls, m),
        ]),
      ),
    );
  }
  if (measurements.includes('subscriptions')) {
    console.log(`\n3. publish to ${FANOUT} subscribers vs prefix subscriptions another client holds (µs per publish; × = against 0)\n`);
    console.log(
      compactTable(
        ['subscriptions', ...head('µs'), ...impls.map((impl) => `${impl} received`), 'note'],
        sizes.subscriptions.map((s) => [
          formatValue(s, ''),
          ...growthColumns(figures, 'subscriptions', impls, sizes.subscriptions, s),
          ...impls.map((impl) => figures.noteOf(`subscriptions|${impl}|${s}`)),
          notes(figures, 'subscriptions', impls, s),
        ]),
      ),
    );
  }
  if (measurements.includes('memory')) {
    console.log(`\n4. server memory per idle connection, at ${formatValue(sizes.idleClients, '')} clients (KiB per client, after a GC)\n`);
    console.log(
      compactTable(
        ['server', 'RSS', 'heap used', 'note'],
        impls.map((impl) => [
          impl,
          kib(figures.median(`rss|${impl}|${sizes.idleClients}`)),
          kib(figures.median(`heap|${impl}|${sizes.idleClients}`)),
          notes(figures, 'memory', [impl], sizes.idleClients),
        ]),
      ),
    );
  }
}
