// The language-model branch of `winnow train` (a `gpt:…` model on a text dataset): nanoGPT's
// character-level recipe (AdamW β = (0.9, 0.99), decay on matrices, clipping, warmup + cosine to
// --min-lr), loss estimates every --eval-every iterations, the whole validation split at the end
// (nats and bits per character), and the model file holding the LM and its vocabulary.
import { join } from 'node:path';
import { getBackend } from '../../backend/index.js';
import { loadTextDataset } from '../../data/text.js';
import { saveLm } from '../../io/lm-io.js';
import { trainLm, type LmTrainSummary } from '../../train/lm.js';
import { UserError } from '../../util/errors.js';
import type { JobEnv, JobOutput } from '../experiment.js';

/** The train experiment's hyperparameters this branch reads. */
export interface LmHparams {
  model: string; dataset: string; iterations: number; batchSize: number; lr: number; weightDecay: number; density: number;
  seed: number; evalEvery: number; minLr: number; warmup: number; gradClip: number; evalIters: number;
}

export type LmResult = Omit<LmTrainSummary, 'history'> & { source: string; backend: string; backendDetail: string; modelBytes: number };

/** Defaults of the LM recipe for the flags the user did not give (nanoGPT's shakespeare-char "baby" run). */
export const LM_DEFAULTS: Partial<LmHparams> = { dataset: 'shakespeare-char', batchSize: 12, lr: 1e-3, weightDecay: 0.1, iterations: 2000, evalEvery: 250 };

export function runLmJob(h: LmHparams, env: JobEnv, modelFile: string): JobOutput<LmResult> {
  const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
  const data = loadTextDataset(h.dataset);
  const minLr = h.minLr > 0 ? h.minLr : h.lr / 10;
  if (minLr > h.lr) throw new UserError(`--min-lr ${minLr} exceeds --lr ${h.lr}`);
  let last = 0, val = NaN;
  const { summary, model } = trainLm(be, data, {
    model: h.model, batchSize: h.batchSize, iterations: h.iterations, lr: h.lr, minLr, warmup: Math.min(h.warmup, h.iterations),
    weightDecay: h.weightDecay, beta1: 0.9, beta2: 0.99, gradClip: h.gradClip, evalEvery: h.evalEvery, evalIters: h.evalIters,
    seed: h.seed, density: h.density,
  }, {
    onStep: (it, total, loss) => { if (it - last >= 10 || it === total) { env.step(it, total, { loss: loss.toFixed(4), val: val.toFixed(4) }); last = it; } },
    onEval: (r) => { val = r.valLoss; },
  });
  const modelBytes = saveLm(join(env.dir, modelFile), model, h.model, data.tokenizer, { seed: h.seed, dataset: data.name, valLoss: summary.final.valLoss });
  const { history, ...rest } = summary;
  return { result: { ...rest, source: data.source, backend: be.name, backendDetail: be.detail, modelBytes }, metrics: history.map((r) => ({ ...r })) };
}

export function checkLmResult(o: Record<string, unknown>, where: string): LmResult {
  const f = o['final'] as Record<string, unknown> | undefined;
  if (typeof o['model'] !== 'string' || typeof o['iterations'] !== 'number' || !f || typeof f['valLoss'] !== 'number' || !Array.isArray(o['layers'])) {
    throw new UserError(`${where}: expected a language-model training summary {kind: "lm", model, iterations, final.valLoss, layers, …}`);
  }
  return o as unknown as LmResult;
}
