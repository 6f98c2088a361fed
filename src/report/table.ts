// Plain-text tables for the terminal: left-aligned text, right-aligned numbers, and "mean ± std"
// cells whose "±" signs line up down the column.
import type { MeanStd } from './stats.js';

export type TableCell = string | number | null | undefined | Pick<MeanStd, 'mean' | 'std'>;

export interface TableColumn {
  header: string;
  /** default: right if every non-empty cell is a number or mean ± std, else left */
  align?: 'left' | 'right';
  /** decimals for numbers and mean ± std (default: numbers as given, mean ± std with 2) */
  digits?: number;
  /** custom number formatting (applied to mean and std too) */
  format?: (v: number) => string;
}

export interface TableOptions {
  /** columns separator, default two spaces */
  gap?: string;
  /** draw a rule under the header (default true) */
  rule?: boolean;
}

const isMeanStd = (c: TableCell): c is Pick<MeanStd, 'mean' | 'std'> => typeof c === 'object' && c !== null;

/** Width in terminal columns (code points; wide CJK glyphs are not special-cased). */
const width = (s: string): number => [...s].length;
const padLeft = (s: string, w: number): string => ' '.repeat(Math.max(0, w - width(s))) + s;
const padRight = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - width(s)));

function fmt(v: number, col: TableColumn, fallbackDigits?: number): string {
  if (col.format) return col.format(v);
  if (!Number.isFinite(v)) return String(v);
  const d = col.digits ?? fallbackDigits;
  return d === undefined ? String(v) : v.toFixed(d);
}

/** Formats rows under headers; returns the table as lines joined by "\n" (no trailing newline). */
export function formatTable(columns: readonly (string | TableColumn)[], rows: readonly (readonly TableCell[])[], opts: TableOptions = {}): string {
  const cols: TableColumn[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const gap = opts.gap ?? '  ';
  const cells: string[][] = rows.map(() => []);
  const widths: number[] = [];
  const aligns: ('left' | 'right')[] = [];
  cols.forEach((col, j) => {
    const column = rows.map((r) => r[j]);
    const present = column.filter((c) => c !== null && c !== undefined && c !== '');
    aligns[j] = col.align ?? (present.length > 0 && present.every((c) => typeof c === 'number' || isMeanStd(c)) ? 'right' : 'left');
    // Mean ± std parts are padded separately so the "±" signs form one vertical line.
    const means = column.map((c) => (isMeanStd(c) ? fmt(c.mean, col, 2) : ''));
    const stds = column.map((c) => (isMeanStd(c) ? fmt(c.std, col, 2) : ''));
    const mw = Math.max(0, ...means.map(width));
    const sw = Math.max(0, ...stds.map(width));
    column.forEach((c, i) => {
      cells[i]![j] = c === null || c === undefined ? '-'
        : isMeanStd(c) ? `${padLeft(means[i]!, mw)} ± ${padRight(stds[i]!, sw)}`
        : typeof c === 'number' ? fmt(c, col)
        : c;
    });
    widths[j] = Math.max(width(col.header), ...cells.map((r) => width(r[j]!)));
  });
  const line = (vals: readonly string[]): string =>
    vals.map((v, j) => (aligns[j] === 'right' ? padLeft(v, widths[j]!) : padRight(v, widths[j]!))).join(gap).trimEnd();
  const out = [line(cols.map((c) => c.header))];
  if (opts.rule ?? true) out.push(widths.map((w) => '─'.repeat(w)).join(gap));
  for (const r of cells) out.push(line(r));
  return out.join('\n');
}
