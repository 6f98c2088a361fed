// Builds a task from its serializable spec (used by the driver and by worker threads alike).
import type { NeatConfig } from '../config.js';
import { UserError } from '../../util/errors.js';
import { classifyTask } from './classify.js';
import { doublePoleTask } from './pole-double.js';
import { poleSingleTask } from './pole-single.js';
import type { Task, TaskSpec } from './task.js';
import { xorTask } from './xor.js';

export const TASK_NAMES = ['xor', 'pole', 'double-pole', 'double-pole-nv', 'classify'] as const;

/** Mean evaluations to solve reported in the NEAT paper (XOR §4.1, Tables 1 and 2). */
export const PAPER_MEAN_EVALUATIONS: Partial<Record<string, number>> = { xor: 4755, 'double-pole': 3600, 'double-pole-nv': 33184 };

export function createTask(spec: TaskSpec, cfg: NeatConfig): Task {
  const o = spec.options ?? {};
  const mode = cfg.recurrentMode;
  switch (spec.name) {
    case 'xor': return xorTask();
    case 'pole': return poleSingleTask({ recurrentMode: mode, maxSteps: o.maxSteps as number | undefined });
    case 'double-pole': return doublePoleTask({ markov: true, recurrentMode: mode, theta1: o.theta1 as number | undefined });
    case 'double-pole-nv': return doublePoleTask({ markov: false, recurrentMode: mode, theta1: o.theta1 as number | undefined });
    case 'classify': return classifyTask(o);
    default: throw new UserError(`task: unknown task '${spec.name}' (expected one of ${TASK_NAMES.join(', ')})`);
  }
}
