// What `winnow data info` reports: where a dataset was found (or every place searched), its files,
// split sizes, shape and per-class counts.
import { statSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { features } from './dataset.js';
import type { SearchedDir } from './locate.js';
import { loadDataset, locateDataset, notFoundMessage, parseSpec, type LoadOptions } from './registry.js';
import { classCounts } from './split.js';

export interface DatasetInfo {
  readonly name: string;
  readonly found: boolean;
  readonly source?: string;
  readonly searched: readonly SearchedDir[];
  readonly files?: ReadonlyArray<{ path: string; bytes: number }>;
  readonly shape?: readonly [number, number, number];
  readonly features?: number;
  readonly classes?: number;
  readonly classNames?: readonly string[];
  readonly counts?: { train: number; validation: number; test: number };
  /** Examples per class in each split. */
  readonly balance?: { train: number[]; validation: number[]; test: number[] };
  readonly loadMs?: number;
  /** Why it could not be used: not found, or a file that failed its checks. */
  readonly problem?: string;
}

export function datasetInfo(spec: string, opts: LoadOptions = {}): DatasetInfo {
  const parsed = parseSpec(spec);
  let searched: readonly SearchedDir[] = [];
  let files: Array<{ path: string; bytes: number }> | undefined;
  if (parsed.kind === 'idx') {
    const loc = locateDataset(parsed.def, opts);
    searched = loc.searched;
    if (!loc.files) return { name: parsed.def.name, found: false, searched, problem: notFoundMessage(parsed.def, loc) };
    files = Object.values(loc.files).map((p) => ({ path: p, bytes: statSync(p).size }));
  }
  const t0 = performance.now();
  try {
    const d = loadDataset(spec, opts);
    const loadMs = Math.round(performance.now() - t0);
    return {
      name: d.name, found: true, source: d.source, searched, ...(files ? { files } : {}),
      shape: d.shape, features: features(d), classes: d.classes, ...(d.classNames ? { classNames: d.classNames } : {}),
      counts: { train: d.train.count, validation: d.validation.count, test: d.test.count },
      balance: { train: classCounts(d.train.labels, d.classes), validation: classCounts(d.validation.labels, d.classes), test: classCounts(d.test.labels, d.classes) },
      loadMs,
    };
  } catch (err) {
    // A broken file is reported as part of the overview; a bad synthetic spec is the caller's error.
    if (!(err instanceof UserError) || parsed.kind === 'synthetic') throw err;
    return { name: spec, found: true, searched, ...(files ? { files } : {}), problem: err.message };
  }
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

/** Human-readable lines for one dataset. */
export function formatInfo(info: DatasetInfo): string {
  const out: string[] = [];
  if (!info.found) {
    out.push(`${info.name}: not found`);
    for (const s of info.searched) out.push(`  looked in ${s.dir} (${s.why})${s.found > 0 ? `: only ${s.found} of 4 files` : ''}`);
    if (info.problem) out.push(`  ${info.problem.slice(info.problem.indexOf('Get it with:'))}`);
    return out.join('\n');
  }
  out.push(info.source && info.source !== info.name ? `${info.name}: ${info.source}` : info.name);
  if (info.problem) { out.push(`  unusable: ${info.problem}`); return out.join('\n'); }
  for (const f of info.files ?? []) out.push(`  file ${f.path} (${fmtBytes(f.bytes)})`);
  const c = info.counts!;
  out.push(`  shape ${info.shape!.join('×')} (${info.features} features), ${info.classes} classes; loaded in ${info.loadMs} ms`);
  out.push(`  train ${c.train}, validation ${c.validation} (carved from train), test ${c.test}`);
  const names = info.classNames ?? [];
  const b = info.balance!;
  const w = Math.max(5, ...names.map((n) => n.length));
  out.push(`  ${'class'.padEnd(w)}  ${'train'.padStart(6)} ${'valid'.padStart(6)} ${'test'.padStart(6)}`);
  for (let k = 0; k < info.classes!; k++) {
    out.push(`  ${(names[k] ?? String(k)).padEnd(w)}  ${String(b.train[k]).padStart(6)} ${String(b.validation[k]).padStart(6)} ${String(b.test[k]).padStart(6)}`);
  }
  return out.join('\n');
}
