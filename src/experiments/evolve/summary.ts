// Distributions over a set of NEAT runs: evaluations, generations and network sizes of the solved runs.
import type { RunSummary } from '../../neat/run.js';

export interface Distribution { mean: number; median: number; std: number; min: number; max: number }

export function distribution(xs: number[]): Distribution {
  if (xs.length === 0) return { mean: NaN, median: NaN, std: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { mean, median, std, min: s[0]!, max: s[s.length - 1]! };
}

export interface RunsSummary {
  runs: number;
  failures: number;
  evaluations: Distribution;
  generations: Distribution;
  hiddenNodes: Distribution;
  enabledConnections: Distribution;
  generalization?: Distribution;
}

export function summarizeRuns(runs: readonly RunSummary[]): RunsSummary {
  const ok = runs.filter((r) => r.solved);
  const gen = ok.map((r) => r.report['generalization']).filter((x): x is number => typeof x === 'number');
  return {
    runs: runs.length,
    failures: runs.length - ok.length,
    evaluations: distribution(ok.map((r) => r.evaluations)),
    generations: distribution(ok.map((r) => r.generations)),
    hiddenNodes: distribution(ok.map((r) => r.hidden)),
    enabledConnections: distribution(ok.map((r) => r.enabled)),
    ...(gen.length ? { generalization: distribution(gen) } : {}),
  };
}
