// Aggregates job results per (level, branch) over replicates: mean and sample standard deviation.
import { meanStd, type MeanStd } from '../report/stats.js';
import type { Branch } from './hparams.js';
import type { JobResult } from './runner.js';

export type Stat = MeanStd;

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

export function summarize(results: JobResult[]): LevelSummary[] {
  const groups = new Map<string, JobResult[]>();
  for (const r of results) {
    const k = `${r.level}\u0000${r.branch}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => ({
    level: g[0]!.level, branch: g[0]!.branch,
    density: meanStd(g.map((r) => r.density)),
    earlyStopTestAccuracy: meanStd(g.map((r) => r.earlyStopTestAccuracy)),
    earlyStopIteration: meanStd(g.map((r) => r.earlyStopIteration)),
    finalTestAccuracy: meanStd(g.map((r) => r.finalTestAccuracy)),
    wallSeconds: meanStd(g.map((r) => r.wallSeconds)),
    stepSeconds: meanStd(g.map((r) => r.stepSeconds)),
  })).sort((a, b) => a.level - b.level);
}
