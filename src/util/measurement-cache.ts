// A small JSON file of choices measured on this machine (kernel thresholds, decoder formats), so a
// machine measures once and later runs reuse the same choice (and so give the same bits).
// Best effort both ways: a missing or unreadable file means "measure again", and a file that cannot be
// written (read-only home, full disk) only costs a new measurement next time.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.js';

/** `$XDG_CACHE_HOME/winnow/<name>`, or ~/.cache/winnow/<name>. */
export function measurementCacheFile(name: string): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'winnow', name);
}

/** The cached entries; {} when the file is missing, unreadable or not a JSON object. */
export function readMeasurementCache(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** Adds one entry, written atomically; failures are ignored (the caller keeps its in-process value). */
export function writeMeasurementCache(file: string, key: string, value: unknown): void {
  try {
    const all = readMeasurementCache(file);
    all[key] = value;
    writeJsonAtomic(file, all);
  } catch { /* best effort, see above */ }
}
