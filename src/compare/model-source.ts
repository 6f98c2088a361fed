// What a MODEL argument names: a winnow model file, or a lottery ticket in an experiment store,
//   runs/<runId>:level=<L>[:replicate=<r>][:branch=ticket|reinit|random-prune|finetune]
// (with --store DIR, the run may be given as <runId>:level=<L>…; a unique prefix of the id or of its hash will do). Either way the result is a runnable
// network plus what it needs to be evaluated (spec, input shape, classes, dataset).
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/registry.js';
import { loadModel, type ModelInfo, type TensorReport } from '../io/model-io.js';
import { BRANCHES, type Branch, type LotteryHparams } from '../lottery/hparams.js';
import { loadModelState } from '../lottery/state-io.js';
import { buildModel } from '../models/build.js';
import { restore } from '../models/state.js';
import type { Sequential } from '../nn/sequential.js';
import { jobFile, readHparamsFile, resolveRunId } from '../store/layout.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export interface TicketRef {
  root: string;
  runId: string;
  level: number;
  replicate: number;
  branch: Branch;
}

export interface ResolvedModel {
  model: Sequential;
  info: ModelInfo;
  /** Human-readable origin ("file x.wnn", "lottery run … level 3 ticket"). */
  origin: string;
  kind: 'file' | 'lottery';
  /** For a model file: its size and per-tensor accounting as stored. */
  fileBytes?: number;
  fileTensors?: TensorReport[];
  ticket?: TicketRef & { hparams: LotteryHparams };
  /** Seed and validation size the model was trained with (decide the validation split only). */
  seed: number;
  validation?: number;
}

const RUN_ID_RE = /^[a-z][a-z0-9_]*$/;

/** Parses a ticket reference, or returns null when `arg` does not look like one. */
export function parseTicketRef(arg: string, store?: string): TicketRef | null {
  const parts = arg.split(':');
  if (parts.length < 2 || !parts.slice(1).every((p) => /^[a-z]+=/.test(p))) return null;
  const head = parts[0]!;
  const root = head.includes('/') ? dirname(head) : (store ?? 'runs');
  const runId = resolveRunId(root, basename(head)); // a unique prefix names its run
  if (!RUN_ID_RE.test(runId)) throw new UserError(`MODEL '${arg}': '${runId}' is not a run id (expected e.g. runs/lottery_0123456789abcdef:level=3)`);
  const kv: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const [k, v = ''] = p.split('=', 2);
    if (!['level', 'replicate', 'branch'].includes(k!)) throw new UserError(`MODEL '${arg}': unknown key '${k}' (expected level, replicate, branch)`);
    kv[k!] = v;
  }
  const int = (k: string, dflt?: number): number => {
    const v = kv[k];
    if (v === undefined) {
      if (dflt === undefined) throw new UserError(`MODEL '${arg}': ${k}=<n> is required`);
      return dflt;
    }
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UserError(`MODEL '${arg}': ${k} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
  const branch = kv['branch'] ?? 'ticket';
  if (!(BRANCHES as readonly string[]).includes(branch)) throw new UserError(`MODEL '${arg}': branch must be one of ${BRANCHES.join(', ')}, got '${branch}'`);
  return { root, runId, level: int('level'), replicate: int('replicate', 0), branch: branch as Branch };
}

/** Loads the lottery run's hyperparameters, or throws a UserError naming what is missing. */
export function lotteryHparams(root: string, runId: string): LotteryHparams {
  const f = readHparamsFile(root, runId);
  if (!f) throw new UserError(`${root}/${runId}/hparams.json not found: no lottery run '${runId}' in store '${root}' (see winnow lottery; --store sets the store)`);
  if (f.kind !== 'lottery') throw new UserError(`${root}/${runId}: run kind is '${f.kind}', expected 'lottery'`);
  return f.hparams as unknown as LotteryHparams;
}

export function lotteryDataset(h: LotteryHparams): Dataset {
  return loadDataset(h.dataset, { dataDir: h.dataDir || undefined, seed: h.seed, validationSize: h.validation < 0 ? undefined : h.validation });
}

/** The network of one lottery job (trained final weights with its mask). */
export function loadTicket(ref: TicketRef, h: LotteryHparams, data: Pick<Dataset, 'shape' | 'classes' | 'name'>): Sequential {
  const path = jobFile(ref.root, ref.runId, `replicate_${ref.replicate}/level_${ref.level}/${ref.branch}`, 'weights-final.wt');
  if (!existsSync(path)) {
    throw new UserError(`${path} not found: run ${ref.runId} has no trained ${ref.branch} at level ${ref.level}, replicate ${ref.replicate} (levels 0..${h.levels}; controls ${h.controls.join(', ') || 'none'})`);
  }
  const model = buildModel(h.model, data.shape, data.classes, new Rng(0), { sparseThreshold: h.sparseThreshold });
  restore(model, loadModelState(path));
  return model;
}

/** Resolves MODEL (file path or ticket reference). Returns the dataset too when it had to be loaded. */
export function resolveModel(arg: string, opts: { store?: string } = {}): { resolved: ResolvedModel; data?: Dataset } {
  const ref = parseTicketRef(arg, opts.store);
  if (ref) {
    const h = lotteryHparams(ref.root, ref.runId);
    const data = lotteryDataset(h);
    const model = loadTicket(ref, h, data);
    return {
      resolved: {
        model, kind: 'lottery', origin: `lottery run ${ref.runId} level ${ref.level} replicate ${ref.replicate} ${ref.branch}`,
        info: { spec: h.model, inputShape: [data.shape[0], data.shape[1], data.shape[2]], classes: data.classes, dataset: h.dataset },
        ticket: { ...ref, hparams: h }, seed: h.seed, ...(h.validation >= 0 ? { validation: h.validation } : {}),
      },
      data,
    };
  }
  if (!existsSync(arg)) {
    throw new UserError(`MODEL '${arg}': no such file (expected a winnow model file from 'winnow train --save' or 'winnow compress', or a ticket such as runs/<runId>:level=<L>)`);
  }
  const loaded = loadModel(arg);
  const seed = typeof loaded.meta['seed'] === 'number' ? loaded.meta['seed'] as number : 0;
  return {
    resolved: {
      model: loaded.model, info: loaded.info, kind: 'file', origin: `file ${arg}`, seed,
      fileBytes: statSync(arg).size, fileTensors: loaded.tensors,
    },
  };
}
