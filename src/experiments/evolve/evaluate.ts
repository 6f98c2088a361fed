// `winnow evolve --evaluate GENOME`: replays a saved genome on its task (fitness, success, champion check,
// task report) without evolving anything.
import { loadGenomeFile } from '../../neat/genome-file.js';
import { enabledCount, hiddenCount } from '../../neat/genome.js';
import { createTask } from '../../neat/tasks/index.js';
import { loadDataset } from '../../data/registry.js';
import { classifyOptions } from '../../neat/tasks/classify.js';
import { UserError } from '../../util/errors.js';
import { neatConfig, type EvolveHparams } from './index.js';

export interface GenomeEvaluation {
  genome: string; task: string; fitness: number; solved: boolean; championCheck: { solved: boolean; info: unknown } | null;
  report: Record<string, number>; hidden: number; enabled: number;
}

export function evaluateGenome(h: EvolveHparams, path: string): GenomeEvaluation {
  const g = loadGenomeFile(path);
  const cfg = neatConfig(h);
  let spec = { name: h.task as string } as { name: string; options?: Record<string, unknown> };
  if (h.task === 'classify') {
    const d = loadDataset(h.dataset, { seed: h.seed });
    spec = { name: 'classify', options: classifyOptions(d, Math.min(h.sample, d.train.count), h.seed) };
  }
  const t = createTask(spec, cfg);
  if (g.nIn !== t.nIn || g.nOut !== t.nOut) {
    throw new UserError(`genome file ${path}: it has ${g.nIn} inputs and ${g.nOut} outputs, task ${h.task} needs ${t.nIn} and ${t.nOut}`);
  }
  const r = t.evaluate(g, { seed: h.seed, generation: 0, index: 0 });
  const check = t.checkChampion ? t.checkChampion(g) : null;
  return {
    genome: path, task: h.task, fitness: r.fitness, solved: check ? check.solved : r.solved, championCheck: check, report: t.report ? t.report(g) : {},
    hidden: hiddenCount(g), enabled: enabledCount(g),
  };
}
