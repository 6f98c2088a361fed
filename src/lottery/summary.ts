// Aggregates job results per (level, branch) over replicates: mean and sample standard deviation.
import type { Branch } from './hparams.js';
import type { JobResult } from './runner.js';

export interface Stat { mean: number; std: number; n: number }

export interface LevelSummary {
  level: number;
  branch: Branch;
  density: Stat;
  earlyStopTestAccuracy: Stat;
  earlyStopIteration: Stat;
  finalTestAccuracy: Stat;
  wallSeconds: Stat;
  stepSeconds: Stat;
}

export function stat(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function summarize(results: JobResult[]): LevelSummary[] {
  const groups = new Map<string, JobResult[]>();
  for (const r of results) {
    const k = `${r.level}\u0000${r.branch}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => ({
    level: g[0]!.level, branch: g[0]!.branch,
    density: stat(g.map((r) => r.density)),
    earlyStopTestAccuracy: stat(g.map((r) => r.earlyStopTestAccuracy)),
    earlyStopIteration: stat(g.map((r) => r.earlyStopIteration)),
    finalTestAccuracy: stat(g.map((r) => r.finalTestAccuracy)),
    wallSeconds: stat(g.map((r) => r.wallSeconds)),
    stepSeconds: stat(g.map((r) => r.stepSeconds)),
  })).sort((a, b) => a.level - b.level);
}
